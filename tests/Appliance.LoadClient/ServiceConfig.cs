using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.LoadClient;

/// <summary>
/// A throw-away home for one service instance: a temp directory holding the TOML config, the
/// state/recording/snapshot directories and the notify socket, plus a free loopback port and an
/// admin JWT minted by the binary itself (--mint-jwt). Deleted on Dispose.
/// </summary>
public sealed class ServiceConfig : IDisposable
{
    private readonly string _extraToml;
    private readonly string _logLevel;
    private readonly string _recordingToml;
    private readonly string _storageToml;

    private ServiceConfig(string binary, string directory, int port, int maxConnections, string extraToml, string logLevel, string recordingToml, string storageToml)
    {
        _extraToml = WithOwnAuthHookPort(extraToml, FreeLoopbackPort());
        _logLevel = logLevel;
        _recordingToml = recordingToml;
        _storageToml = storageToml;
        MaxConnections = maxConnections;
        Binary = binary;
        Directory = directory;
        Port = port;
        ConfigPath = System.IO.Path.Combine(directory, "appliance.toml");
        NotifySocketPath = System.IO.Path.Combine(directory, "notify.sock");
    }

    public string Binary { get; }
    public string Directory { get; }
    public int Port { get; }
    public int MaxConnections { get; }
    public string ConfigPath { get; }
    public string NotifySocketPath { get; }
    public string RecordingsPath => System.IO.Path.Combine(Directory, "recordings");
    public string SnapshotsPath => System.IO.Path.Combine(Directory, "snapshots");
    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/ws");
    public string AdminToken { get; private set; } = "";

    /// <param name="maxConnections">server.max_connections: at least 2000, room for the idle scenario plus probes.</param>
    /// <param name="extraToml">Appended after the standard config: new tables only (e.g. [mediamtx], [[camera.virtual]]).</param>
    /// <param name="logLevel">logging.level ("warning" unless a scenario reads the service's info lines).</param>
    /// <param name="recordingToml">Extra keys inside [recording] (e.g. "fsync_interval = 5"): TOML cannot reopen a table in extraToml.</param>
    /// <param name="storageToml">Extra keys inside [storage] (e.g. "min_free_mb = 4").</param>
    public static async Task<ServiceConfig> CreateAsync(string binary, CancellationToken cancellation, int maxConnections = 2000, string extraToml = "", string logLevel = "warning",
        string recordingToml = "", string storageToml = "")
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("appliance-bench-").FullName;
        var config = new ServiceConfig(binary, directory, FreeLoopbackPort(), Math.Max(2000, maxConnections), extraToml, logLevel, recordingToml, storageToml);
        try
        {
            config.Write();
            config.AdminToken = await config.MintTokenAsync("admin", cancellation);
            return config;
        }
        catch
        {
            config.Dispose();
            throw;
        }
    }

    private void Write()
    {
        foreach (var sub in new[] { "state", "recordings", "snapshots" })
            System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Directory, sub));
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant(); // 64 chars
        var toml = $"""
            # Written by Appliance.LoadClient for one benchmark run; deleted afterwards.
            [server]
            environment = "development"
            host = "127.0.0.1"
            port = {Port.ToString(CultureInfo.InvariantCulture)}
            max_connections = {MaxConnections.ToString(CultureInfo.InvariantCulture)}

            [security]
            jwt_secret = {Quote(secret)}
            api_keys_file = {Quote(System.IO.Path.Combine(Directory, "state", "api-keys.json"))}
            # Far above what one connection can send: the benchmark measures the service, not the limiter.
            rate_limit_per_minute = 100000000
            rate_limit_burst = 1000000

            [camera]
            # Measure the RPC host, not device probing.
            discovery_enabled = false

            [recording]
            path = {Quote(System.IO.Path.Combine(Directory, "recordings"))}
            {_recordingToml}

            [snapshots]
            path = {Quote(System.IO.Path.Combine(Directory, "snapshots"))}

            [storage]
            state_dir = {Quote(System.IO.Path.Combine(Directory, "state"))}
            {_storageToml}

            [logging]
            level = {Quote(_logLevel)}
            format = "console"

            {_extraToml}
            """;
        File.WriteAllText(ConfigPath, toml, new UTF8Encoding(false));
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>Runs `binary --mint-jwt ROLE --config PATH` and returns the token it prints.</summary>
    public async Task<string> MintTokenAsync(string role, CancellationToken cancellation)
    {
        var (exit, stdout, stderr) = await RunToolAsync(["--mint-jwt", role, "--user", "loadclient", "--config", ConfigPath], cancellation);
        var token = stdout.Trim();
        if (exit != 0 || token.Count(c => c == '.') != 2)
            throw new InvalidOperationException($"--mint-jwt failed (exit {exit}): {stderr.Trim()} {stdout.Trim()}");
        return token;
    }

    /// <summary>Runs the binary as a one-shot tool (e.g. --version) with a 30 s bound.</summary>
    public async Task<(int Exit, string Stdout, string Stderr)> RunToolAsync(string[] args, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(Binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        ServiceProcess.CleanEnvironment(info);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Binary}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>mediamtx.auth_hook_port on a free port, not the default 9996: two services (two load clients,
    /// or a load client beside a running appliance) would otherwise collide on it. Into the scenario's own
    /// [mediamtx] table when it has one (a TOML table cannot be opened twice), else in a table of its own.</summary>
    private static string WithOwnAuthHookPort(string extraToml, int port)
    {
        var key = "auth_hook_port = " + port.ToString(CultureInfo.InvariantCulture);
        var lines = extraToml.Split('\n').ToList();
        var header = lines.FindIndex(l => l.Trim() == "[mediamtx]");
        if (header < 0) return extraToml + "\n\n[mediamtx]\n" + key + "\n";
        lines.Insert(header + 1, key);
        return string.Join('\n', lines);
    }

    /// <summary>A loopback port that was free a moment ago (the OS picks it; the server binds it soon after).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
