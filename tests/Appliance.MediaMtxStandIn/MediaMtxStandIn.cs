using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Api;
using Appliance.Testing.MediaMtx.Auth;
using Appliance.Testing.MediaMtx.Contract;
using Appliance.Testing.MediaMtx.Exchanges;
using Appliance.Testing.MediaMtx.Hls;
using Appliance.Testing.MediaMtx.Relay;
using Appliance.Testing.MediaMtx.Runtime;

namespace Appliance.Testing.MediaMtx;

/// <summary>
/// A stand-in for a MediaMTX process: its control API v3 over real HTTP (Kestrel on 127.0.0.1),
/// shaped like a chosen release, with runOnDemand commands run as real processes and, with
/// <see cref="StandInOptions.UseRelay"/>, a real RTSP relay. Stop/Restart behave like killing and
/// restarting MediaMTX: the port refuses connections, children die, API-made configuration is lost.
/// <code>
/// await using var mediamtx = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiVersion = "1.15.1" });
/// var http = new HttpClient { BaseAddress = mediamtx.ApiUrl };
/// </code>
/// </summary>
public sealed class MediaMtxStandIn : IAsyncDisposable
{
    private readonly ServerCore _core;
    private readonly ApiHost _api;
    private readonly HlsServer? _hls;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private bool _running;
    private int _disposed;

    private MediaMtxStandIn(StandInOptions options)
    {
        Options = options;
        Version = MediaMtxVersion.Parse(options.ApiVersion);
        _core = new ServerCore(options, Version, OpenApiContract.Default.Document);
        if (options.AuthHttpAddress is not null) AuthHttp = new AuthHttpClient(options.AuthHttpAddress, TimeSpan.FromSeconds(10)); // MediaMTX: readTimeout
        _api = new ApiHost(new ApiRouter(_core), options, Version, Faults, Exchanges, AuthHttp);
        ApiPort = options.ApiPort;
        RtspPort = options.RtspPort;
        if (options.HlsPort is { } hlsPort)
        {
            if (!options.UseRelay) throw new ArgumentException("HlsPort needs UseRelay: the HLS muxers read the relay's RTSP");
            _hls = new HlsServer(options, AuthHttp, name => _core.Read(c => c.Path(name)) is not null, () => RtspPort);
            HlsPort = hlsPort;
        }
    }

    public StandInOptions Options { get; }

    public MediaMtxVersion Version { get; }

    /// <summary>The API port (resolved when <see cref="StandInOptions.ApiPort"/> was 0); kept across restarts.</summary>
    public int ApiPort { get; private set; }

    /// <summary>The RTSP port: the relay's, and RTSP_PORT for runOnDemand commands.</summary>
    public int RtspPort { get; private set; }

    public Uri ApiUrl => new($"http://127.0.0.1:{ApiPort}/");

    /// <summary>The HLS port (with <see cref="StandInOptions.HlsPort"/>; resolved when it was 0), else null.</summary>
    public int? HlsPort { get; private set; }

    /// <summary>MediaMTX's HLS playlist URL of a path (with <see cref="StandInOptions.HlsPort"/>).</summary>
    public Uri HlsUrl(string path) => new($"http://127.0.0.1:{HlsPort ?? throw new InvalidOperationException("no HLS server (StandInOptions.HlsPort)")}/{path}/index.m3u8");

    /// <summary>Paths whose HLS muxer (FFmpeg) runs now, with its process id.</summary>
    public IReadOnlyDictionary<string, int> HlsMuxers => _hls?.Muxers ?? new Dictionary<string, int>();

    public string RtspUrl(string path) => $"rtsp://127.0.0.1:{RtspPort}/{path}";

    /// <summary>Faults to inject into API answers, switchable at any time.</summary>
    public FaultInjector Faults { get; } = new();

    /// <summary>Every API request and answer, in order (survives restarts; Clear() to reset).</summary>
    public ExchangeLog Exchanges { get; } = new();

    public bool IsRunning => _running;

    /// <summary>With <see cref="StandInOptions.AuthHttpAddress"/>: the API's questions to the auth
    /// server and its answers (the relay asks the same server itself; see rtsp-relay.py).</summary>
    public AuthHttpClient? AuthHttp { get; }

    public static async Task<MediaMtxStandIn> StartAsync(StandInOptions? options = null)
    {
        var standIn = new MediaMtxStandIn(options ?? new StandInOptions());
        try
        {
            await standIn.StartCoreAsync();
        }
        catch
        {
            await standIn.DisposeAsync();
            throw;
        }
        return standIn;
    }

    /// <summary>Like killing MediaMTX: the API port refuses connections, runOnDemand children
    /// are stopped (SIGINT, then SIGKILL), the relay and its RTSP clients go away.</summary>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync();
        try { await StopCoreAsync(); }
        finally { _lifecycle.Release(); }
    }

    /// <summary>Stop (if running) and start again on the same ports, with the start-up
    /// configuration: what was configured through the API is lost, as MediaMTX keeps it in memory.</summary>
    public async Task RestartAsync()
    {
        await _lifecycle.WaitAsync();
        try
        {
            await StopCoreAsync();
            await StartCoreAsync();
        }
        finally { _lifecycle.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopAsync();
        _lifecycle.Dispose();
    }

    /// <summary>A path configuration as GET /v3/config/paths/get shows it, or null (no HTTP, not logged).</summary>
    public JsonObject? GetPathConf(string name) => _core.Read(c => c.Path(name));

    /// <summary>The configured path names, sorted as MediaMTX sorts them.</summary>
    public IReadOnlyList<string> PathConfNames => _core.Read(c => c.PathNames.ToArray());

    /// <summary>The global configuration as GET /v3/config/global/get shows it.</summary>
    public JsonObject GlobalConf => _core.Read(c => c.Global);

    /// <summary>A runtime path as GET /v3/paths/get shows it, or null.</summary>
    public JsonObject? GetPath(string name) => _core.RenderPath(name);

    /// <summary>As if a reader asked for the path (RTSP DESCRIBE) with no publisher: starts its
    /// runOnDemand command if none runs, and returns once the process was launched. The command
    /// then lives as in MediaMTX: stopped after runOnDemandStartTimeout if no publisher comes,
    /// or after runOnDemandCloseAfter once published without readers.</summary>
    public async Task DemandAsync(string path)
    {
        if (_core.Demand(path) is { } command) await command.FirstLaunch.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public OnDemandStatus GetOnDemandStatus(string path) => _core.Status(path);

    /// <summary>A publisher comes up on the path without RTSP (an H264 1920x1080 track). Returns its id.</summary>
    public string SimulatePublisher(string path)
    {
        var id = Guid.NewGuid().ToString();
        _core.Simulate(path, p => _core.PublisherUp(p, id, [new TrackInfo("H264", 1920, 1080, "High", "4.1")]));
        return id;
    }

    public void SimulatePublisherGone(string path) => _core.Simulate(path, _core.PublisherDown);

    /// <summary>A reader joins the path without RTSP. Returns its id for <see cref="SimulateReaderGone"/>.</summary>
    public string SimulateReader(string path)
    {
        var id = Guid.NewGuid().ToString();
        _core.Simulate(path, p => _core.ReaderAdded(p, id));
        return id;
    }

    public void SimulateReaderGone(string path, string readerId) => _core.Simulate(path, p => _core.ReaderRemoved(p, readerId));

    /// <summary>A recorded segment on "disk": listed by /v3/recordings while the path is
    /// configured, removable with deletesegment, kept across restarts.</summary>
    public void AddRecordingSegment(string path, DateTimeOffset start) => _core.RecordingFiles.Add(path, start);

    /// <summary>The RTSP relay's last lines on stderr (its own diagnostics and GStreamer's warnings), for a failed test's report.</summary>
    public string RelayErrors => _core.Relay?.ErrorTail ?? "";

    private void OnRelayEvent(RelayEvent e)
    {
        if (e.Event != "auth") _core.OnRelayEvent(e);
        else AuthHttp?.Record(new AuthHttpRequest((string?)e.Raw["action"] ?? "", (string?)e.Raw["ip"] ?? "", (string?)e.Raw["user"] ?? "",
            Path: e.Path ?? "", Protocol: "rtsp"), (int)e.Long("status"));
    }

    private async Task StartCoreAsync()
    {
        if (_running) return;
        RtspRelay? relay = null;
        if (Options.UseRelay)
        {
            relay = await RtspRelay.StartAsync(RtspPort, OnRelayEvent, Options.RelayStartTimeout, Options.AuthHttpAddress);
            RtspPort = relay.Port;
        }
        else if (RtspPort == 0)
        {
            RtspPort = FreePort(); // nobody listens there; commands only see it in RTSP_PORT
        }
        _core.Relay = relay;
        // The configuration is in place before the port accepts (on a restart a polling client
        // must never see the old one); with a port still to be picked nobody can ask yet.
        _core.Reset(ApiPort, RtspPort);
        try
        {
            await _api.StartAsync(ApiPort);
        }
        catch
        {
            if (relay is not null) await relay.DisposeAsync();
            _core.Relay = null;
            throw;
        }
        if (ApiPort != _api.Port)
        {
            ApiPort = _api.Port;
            _core.Reset(ApiPort, RtspPort);
        }
        if (_hls is not null)
        {
            try
            {
                await _hls.StartAsync(HlsPort!.Value);
            }
            catch
            {
                await _api.StopAsync();
                if (relay is not null) await relay.DisposeAsync();
                _core.Relay = null;
                throw;
            }
            HlsPort = _hls.Port;
        }
        _core.ResendRelayPaths();
        AppDomain.CurrentDomain.ProcessExit += KillChildrenOnExit;
        _running = true;
    }

    private async Task StopCoreAsync()
    {
        if (!_running) return;
        _running = false;
        AppDomain.CurrentDomain.ProcessExit -= KillChildrenOnExit;
        await _api.StopAsync();
        if (_hls is not null) await _hls.StopAsync();
        await _core.ShutdownAsync();
        if (_core.Relay is { } relay) await relay.DisposeAsync();
        _core.Relay = null;
    }

    // A test run that ends without disposing must not leave commands or the relay behind.
    private void KillChildrenOnExit(object? sender, EventArgs e)
    {
        _core.KillAllNow();
        _hls?.KillAllNow();
        _core.Relay?.KillNow();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
