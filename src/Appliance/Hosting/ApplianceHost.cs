using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaAccess;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Appliance.MediaMtx;
using Appliance.Rpc;
using Appliance.Security;
using Appliance.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Appliance.Security.Sessions;
using Appliance.Hosting.Composition;

namespace Appliance.Hosting;

/// <summary>What tests (and only tests) change about the host.</summary>
/// <param name="Port">Listen on this port instead of server.port (0 = any free port).</param>
/// <param name="DevDirectory">Where camera nodes are looked for (default /dev).</param>
/// <param name="TlsPort">Listen for TLS on this port instead of server.tls_port, when that is set (0 = any free port).</param>
/// <param name="MediaAuthHookPort">Listen for MediaMTX's auth requests on this port instead of mediamtx.auth_hook_port (0 = any free port).</param>
public sealed record HostOverrides(int? Port = null, bool WatchConfig = true, ICameraProbe? CameraProbe = null, string? DevDirectory = null,
    int? TlsPort = null, int? MediaAuthHookPort = null);

/// <summary>
/// The composition root: config -> subsystems -> Kestrel -> systemd, wired by hand (no DI
/// scanning): <see cref="Create"/> reads in one screen, each concern's wiring is in Composition/.
/// Tests build the same host on an ephemeral loopback port.
/// </summary>
public sealed class ApplianceHost : IAsyncDisposable
{
    private ApplianceHost(WebApplication app, EventHub events, ConfigStore config, RpcMetrics metrics, ConnectionRegistry connections,
        HealthRegistry health, Authenticator authenticator, SystemdNotifications systemd, CameraRegistry cameras, CameraDiscovery discovery,
        MediaMtxClient mediaMtx, MediaMtxHealthMonitor mediaMtxMonitor, PathReconciler reconciler, SnapshotTaker snapshots, StillCapture stills,
        Recorder recorder, StorageMonitor storage, Func<int> mediaAuthHookPort)
    {
        Stills = stills;
        _mediaAuthHookPort = mediaAuthHookPort;
        Events = events;
        Storage = storage;
        Snapshots = snapshots;
        Recorder = recorder;
        MediaMtx = mediaMtx;
        MediaMtxMonitor = mediaMtxMonitor;
        Reconciler = reconciler;
        Cameras = cameras;
        Discovery = discovery;
        App = app;
        Config = config;
        Metrics = metrics;
        Connections = connections;
        Health = health;
        Authenticator = authenticator;
        Systemd = systemd;
    }

    private readonly Func<int> _mediaAuthHookPort;

    /// <summary>The port MediaMTX's auth hook listens on, on 127.0.0.1 (valid after start).</summary>
    public int MediaAuthHookPort => _mediaAuthHookPort();

    public WebApplication App { get; }
    public EventHub Events { get; }
    public StorageMonitor Storage { get; }
    public ConfigStore Config { get; }
    public RpcMetrics Metrics { get; }
    public ConnectionRegistry Connections { get; }
    public HealthRegistry Health { get; }
    public Authenticator Authenticator { get; }
    public SystemdNotifications Systemd { get; }
    public CameraRegistry Cameras { get; }
    public CameraDiscovery Discovery { get; }
    public MediaMtxClient MediaMtx { get; }
    public MediaMtxHealthMonitor MediaMtxMonitor { get; }
    public PathReconciler Reconciler { get; }
    public SnapshotTaker Snapshots { get; }
    public StillCapture Stills { get; }
    public Recorder Recorder { get; }
    /// <summary>Console login sessions (POST /api/session).</summary>
    public ConsoleSessions Sessions { get; private init; } = null!;
    /// <summary>Read-only per-path media tokens (get_stream_token).</summary>
    public MediaTokens MediaTokens { get; private init; } = null!;
    /// <summary>The one failed-credential budget per client address.</summary>
    public AuthFailureThrottle AuthFailures { get; private init; } = null!;

    /// <summary>
    /// Builds the whole service: each concern registers itself (Composition/), in the order their
    /// parts need each other. Nothing runs until <see cref="StartAsync"/>.
    /// </summary>
    public static ApplianceHost Create(ApplianceConfig initial, string? configPath, HostOverrides? overrides = null)
    {
        overrides ??= new HostOverrides();
        var levels = new LogLevelSwitch(LogLevelSwitch.Parse(initial.Logging.Level));
        var (app, tlsCertificate, mediaAuthHookPort) = KestrelSetup.Build(initial, overrides, levels);
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        // Core state. Every change anywhere is published once on the event hub; the faces (notifications,
        // LEDs, systemd STATUS=) and the subsystems that react to each other read it from there.
        var events = new EventHub(loggers.CreateLogger<EventHub>());
        var config = new ConfigStore(initial, configPath, loggers.CreateLogger<ConfigStore>());
        config.Changed += change => levels.Level = LogLevelSwitch.Parse(change.Current.Logging.Level);
        var health = new HealthRegistry(events);
        config.ReportHealth(health);
        var host = new HostContext(app, loggers, config, events, health, overrides);

        // The core: cameras → their streams in MediaMTX → media (snapshots, recordings) → files.
        var cameras = CamerasParts.Add(host);
        var mediaServer = MediaServerParts.Add(host, cameras);
        var processes = ProcessesParts.Add(host);
        var recordings = new RecordingsInProgress(); // shared: the recorder fills it, storage never deletes what is in it
        var storage = StorageParts.Add(host, processes, recordings);
        var media = MediaParts.Add(host, cameras, mediaServer, processes, storage, recordings);
        var update = UpdateParts.Add(host, processes);

        // The faces.
        var security = SecurityParts.Add(host);
        var gpio = GpioComposition.Add(host, cameras, media);
        var api = JsonRpcParts.Add(host, security, cameras, mediaServer, media, storage, update, gpio);
        HttpSurface.Map(host, mediaAuthHookPort, security, cameras, mediaServer, media, storage, api);
        var systemd = Lifecycle.Wire(host, initial, tlsCertificate, mediaAuthHookPort, processes, media, api);

        return new ApplianceHost(app, events, config, api.Metrics, api.Connections, health, security.Authenticator, systemd, cameras.Registry,
            cameras.Discovery, mediaServer.Client, mediaServer.Monitor, mediaServer.Reconciler, media.Snapshots, media.Stills, media.Recorder,
            storage.Monitor, mediaAuthHookPort)
        {
            Sessions = security.Sessions,
            MediaTokens = security.MediaTokens,
            AuthFailures = security.AuthFailures,
        };
    }

    /// <summary>The first address Kestrel bound (valid after start), e.g. http://127.0.0.1:40123.</summary>
    public Uri BoundAddress
    {
        get
        {
            var address = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "[::1]"));
        }
    }

    /// <summary>The HTTPS/WSS address Kestrel bound (valid after start), e.g. https://127.0.0.1:40124; null without server.tls_port.</summary>
    public Uri? TlsAddress =>
        App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Where(a => a.StartsWith("https://", StringComparison.Ordinal))
            .Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "[::1]"))).FirstOrDefault();

    /// <summary>Finds the cameras first, then opens the API: READY=1 means the camera list is real.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        await Discovery.StartAsync(cancellation);
        await App.StartAsync(cancellation);
    }

    /// <summary>Runs until SIGTERM/SIGINT.</summary>
    public async Task RunAsync()
    {
        await StartAsync();
        await App.WaitForShutdownAsync();
    }
    public Task StopAsync(CancellationToken cancellation = default) => App.StopAsync(cancellation);

    public async ValueTask DisposeAsync()
    {
        Config.Dispose();
        Systemd.Dispose();
        await App.DisposeAsync();
        Events.Dispose();
    }
}
