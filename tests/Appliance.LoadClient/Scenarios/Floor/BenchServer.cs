using System.Diagnostics;

namespace Appliance.LoadClient.Scenarios.Floor;

public enum ServerKind { Floor, Service }

/// <summary>
/// One freshly started server the floor scenario measures: the floor binary, or the service
/// started as every other scenario starts it (its own temp config from ServiceConfig, the admin
/// token it minted, NOTIFY_SOCKET), either one optionally under `taskset -c CPU`.
/// Disposing kills the process and deletes the service's temp directory.
/// </summary>
public sealed class BenchServer : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    private readonly FloorProcess? _floor;
    private readonly ServiceProcess? _service;
    private readonly ServiceConfig? _config;
    private readonly int? _cpu;

    private BenchServer(FloorProcess floor, int? cpu)
    {
        _cpu = cpu;
        _floor = floor;
        Kind = ServerKind.Floor;
        WebSocketUri = floor.WebSocketUri;
        Token = "floor"; // the floor says authenticated:true to any token
    }

    private BenchServer(ServiceConfig config, ServiceProcess service, int? cpu)
    {
        _cpu = cpu;
        _config = config;
        _service = service;
        Kind = ServerKind.Service;
        WebSocketUri = config.WebSocketUri;
        Token = config.AdminToken;
    }

    public ServerKind Kind { get; }
    public Uri WebSocketUri { get; }
    public string Token { get; }
    public int Pid => _floor?.Pid ?? _service!.Pid;
    public long StartedAt => _floor?.StartedAt ?? _service!.StartedAt;
    private bool HasExited => _floor?.HasExited ?? _service!.HasExited;

    /// <summary>What the server wrote (the floor writes nothing; the service logs at warning).</summary>
    public IReadOnlyList<string> Output => _floor?.Output ?? _service!.Log;

    /// <summary>Set at the first handshake when the server (by then taskset has exec'd it) does not run on just its one core.</summary>
    public string? PinningProblem { get; private set; }

    /// <param name="maxConnections">The service's server.max_connections (ServiceConfig keeps at least 2000).</param>
    public static async Task<BenchServer> StartAsync(ServerKind kind, Options options, int? cpu, int maxConnections, CancellationToken cancellation)
    {
        if (kind == ServerKind.Floor) return new BenchServer(FloorProcess.Start(options.Floor ?? throw new InvalidOperationException("no --floor binary"), cpu), cpu);
        // The config and token first: minting is not part of the service's start.
        var config = await ServiceConfig.CreateAsync(options.Binary, cancellation, maxConnections);
        try
        {
            return new BenchServer(config, ServiceProcess.Start(config, cpu), cpu);
        }
        catch
        {
            config.Dispose();
            throw;
        }
    }

    /// <summary>Tries a WebSocket connect every 5 ms from the moment the process was spawned until
    /// one succeeds (the 101 answer arrived); returns spawn to that handshake.</summary>
    public async Task<TimeSpan> WaitFirstHandshakeAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = StartedAt + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        string? lastError = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (HasExited) throw new InvalidOperationException($"{Kind} exited before its first WebSocket handshake; output:\n  {string.Join("\n  ", Output.Take(20))}");
            try
            {
                var client = await RpcClient.ConnectAsync(WebSocketUri, AttemptTimeout, cancellation);
                var at = Stopwatch.GetTimestamp();
                await client.DisposeAsync();
                CheckPinning();
                return Stopwatch.GetElapsedTime(StartedAt, at);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException && !cancellation.IsCancellationRequested)
            {
                lastError = ex.Message; // refused: not listening yet
            }
            await Task.Delay(PollInterval, cancellation);
        }
        throw new TimeoutException($"{Kind}: no WebSocket handshake within {timeout.TotalSeconds:0} s of start ({lastError})");
    }

    private void CheckPinning()
    {
        if (_cpu is not { } cpu) return;
        var allowed = CpuPinning.AllowedCpus(Pid);
        var comm = ProcessTree.Read(Pid)?.Comm;
        if (allowed != cpu.ToString(System.Globalization.CultureInfo.InvariantCulture) || comm == "taskset")
            PinningProblem = $"{Kind} pid {Pid} ({comm}) runs on CPUs {allowed ?? "?"}, not {cpu}";
    }

    /// <summary>Connects and authenticates one client (RunningService's helper, for either server).</summary>
    public Task<RpcClient> ConnectAsync(CancellationToken cancellation) => RunningService.ConnectAsync(WebSocketUri, Token, cancellation);

    /// <summary>The server as /proc shows it now (CPU ticks, VmRSS); null once it has gone.</summary>
    public ProcInfo? Read() => ProcessTree.Read(Pid);

    public void Dispose()
    {
        _floor?.Dispose();
        _service?.Dispose();
        _config?.Dispose();
    }
}
