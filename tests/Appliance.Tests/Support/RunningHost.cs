using Appliance.Configuration;
using Appliance.Hosting;
using Appliance.Security;

namespace Appliance.Tests.Support;

/// <summary>The real service host (Kestrel, WebSockets, dispatcher, auth) on an ephemeral loopback port,
/// with its data in a temp directory.</summary>
public sealed class RunningHost : IAsyncDisposable
{
    public const string Secret = "integration-test-secret-0123456789abcdef-0123456789";

    private readonly TestDirectory _dir;

    private RunningHost(ApplianceHost host, TestDirectory dir, string configPath)
    {
        Host = host;
        _dir = dir;
        ConfigPath = configPath;
    }

    public ApplianceHost Host { get; }
    public string ConfigPath { get; }
    public string DataDir => _dir.Path;
    public string DevDir => _dir.File("dev");
    public Uri WebSocketUri => new($"ws://127.0.0.1:{Host.BoundAddress.Port}/ws");
    public Uri HttpUri => new($"http://127.0.0.1:{Host.BoundAddress.Port}");
    /// <summary>The TLS listener (server.tls_port set in serverExtra; bound to any free port).</summary>
    public Uri WssUri => new($"wss://127.0.0.1:{Host.TlsAddress!.Port}/ws");
    public Uri HttpsUri => new($"https://127.0.0.1:{Host.TlsAddress!.Port}");
    public Uri MediaAuthHookUri => new($"http://127.0.0.1:{Host.MediaAuthHookPort}{Appliance.MediaAccess.MediaAuthHook.Path}");

    // The test machine runs builds, browsers and many FFmpeg at once, so its CPU pressure says nothing
    // about the feature under test: the guard's limits are off unless a test sets [resources] itself
    // (Resources/ResourceGuardTests and MediaOps/RecordingAdmissionTests test the guard).
    // Placed before [logging], not at the end: tests append [[camera.virtual]] entries to the file and
    // expect them to follow the fixture's own entry.
    internal const string NoResourceRefusals = """

        [resources]
        max_cpu_pressure = 100
        transcode_max_cpu_percent = 100

        """;

    /// <param name="extraToml">TOML appended to the test config (sections not already present).</param>
    /// <param name="recordingExtra">Keys added to the [recording] section.</param>
    /// <param name="storageExtra">Keys added to the [storage] section (which the test config always has).</param>
    /// <param name="mediaAuthHookPort">The MediaMTX auth hook's port; 0 (default) = any free one, so runs never collide.</param>
    public static async Task<RunningHost> StartAsync(string serverExtra = "", string securityExtra = "", string extraToml = "",
        Appliance.Cameras.ICameraProbe? probe = null, Action<TestDirectory>? prepare = null, bool realDev = false, string storageExtra = "", string recordingExtra = "",
        int mediaAuthHookPort = 0)
    {
        var dir = new TestDirectory();
        prepare?.Invoke(dir);
        var path = dir.Write("appliance.toml", $"""
            [server]
            environment = "production"
            host = "127.0.0.1"
            port = 8002
            {serverExtra}

            [security]
            jwt_secret = "{Secret}"
            api_keys_file = "state/api-keys.json"
            {securityExtra}

            [recording]
            path = "recordings"
            {recordingExtra}

            [snapshots]
            path = "snapshots"

            [storage]
            state_dir = "state"
            {storageExtra}
            {(extraToml.Contains("[resources]", StringComparison.Ordinal) ? "" : NoResourceRefusals)}

            [logging]
            level = "{Environment.GetEnvironmentVariable("APPLIANCE_TEST_LOG_LEVEL") ?? "warning"}"
            format = "console"
            {extraToml}
            """);
        var loaded = ConfigLoader.LoadFile(path, new Dictionary<string, string>());
        if (!loaded.IsValid) throw new InvalidOperationException(string.Join("\n", loaded.Problems));
        var host = ApplianceHost.Create(loaded.Config!, path, new HostOverrides(Port: 0, CameraProbe: probe, DevDirectory: realDev ? "/dev" : dir.File("dev"), TlsPort: 0,
            MediaAuthHookPort: mediaAuthHookPort));
        await host.StartAsync();
        return new RunningHost(host, dir, path);
    }

    public string Token(Role role, TimeSpan? lifetime = null, string user = "tester") =>
        Host.Authenticator.Jwt.Mint(user, role, lifetime ?? TimeSpan.FromHours(1));

    public async Task<RpcTestClient> ConnectAsync(Role? role = null, Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null)
    {
        var client = await RpcTestClient.ConnectAsync(WebSocketUri, configure);
        if (role is { } r)
        {
            using var reply = await client.CallAsync("authenticate", $$"""{"auth_token":"{{Token(r)}}"}""");
            if (!reply.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean())
                throw new InvalidOperationException("authentication failed: " + reply.RootElement);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await Host.StopAsync(timeout.Token); } catch (OperationCanceledException) { }
        await Host.DisposeAsync();
        _dir.Dispose();
    }
}
