using System.Net;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaAccess;
using Appliance.Media.Ffmpeg;
using Appliance.Media.Encoders;
using Appliance.Media.Recordings;
using Appliance.Media.Recordings.Repair;
using Appliance.Media.Snapshots;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Processes;
using Appliance.Rpc;
using Appliance.Rpc.Methods;
using Appliance.Rpc.Notifications;
using Appliance.Resources;
using Appliance.Security;
using Appliance.Security.Sessions;
using Appliance.Http;
using Appliance.Hosting.Sessions;
using Appliance.Storage;
using Appliance.Update;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>What tests (and only tests) change about the host.</summary>
/// <param name="Port">Listen on this port instead of server.port (0 = any free port).</param>
/// <param name="DevDirectory">Where camera nodes are looked for (default /dev).</param>
/// <param name="TlsPort">Listen for TLS on this port instead of server.tls_port, when that is set (0 = any free port).</param>
/// <param name="MediaAuthHookPort">Listen for MediaMTX's auth requests on this port instead of mediamtx.auth_hook_port (0 = any free port).</param>
public sealed record HostOverrides(int? Port = null, bool WatchConfig = true, ICameraProbe? CameraProbe = null, string? DevDirectory = null,
    int? TlsPort = null, int? MediaAuthHookPort = null);

/// <summary>
/// The composition root: config -> subsystems -> Kestrel -> systemd, wired by hand in one
/// place (no DI scanning) so the whole service can be read top to bottom. Tests build the same
/// host on an ephemeral loopback port.
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

    public static ApplianceHost Create(ApplianceConfig initial, string? configPath, HostOverrides? overrides = null)
    {
        overrides ??= new HostOverrides();
        var portOverride = overrides.Port;
        var levels = new LogLevelSwitch(LogLevelSwitch.Parse(initial.Logging.Level));
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter(levels.Allows);
        if (initial.Logging.Format == "systemd") builder.Logging.AddSystemdConsole();
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

        var server = initial.Server;
        // TLS (server.tls_port): the device certificate is loaded, or made on first start, before anything binds.
        var tlsCertificate = server.TlsPort != 0 ? Appliance.Security.Tls.DeviceCertificate.LoadOrCreate(initial) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            // Kestrel's own limits back up the exact ones in ConnectionRegistry: plain HTTP connections
            // (each listener has its own count) and upgraded WebSockets (with a little room, so that a
            // socket still closing does not refuse a new one that our own count already admitted).
            kestrel.Limits.MaxConcurrentConnections = server.MaxHttpConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = server.MaxConnections + 16;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            var port = portOverride ?? server.Port;
            var plainHost = HttpsListener.PlainHost(server); // server.host, or loopback with server.plain_loopback_only
            switch (plainHost)
            {
                case "0.0.0.0" or "*": kestrel.Listen(IPAddress.Any, port); break;
                case "::": kestrel.Listen(IPAddress.IPv6Any, port); break;
                case "localhost": kestrel.ListenLocalhost(port); break;
                default: kestrel.Listen(IPAddress.Parse(plainHost), port); break;
            }
            HttpsListener.Listen(kestrel, server, tlsCertificate, overrides.TlsPort); // after the plain one: BoundAddress is the plain port
        });
        var mediaAuthHookPort = MediaAuthHook.AddListener(builder.WebHost, initial.Mediamtx, overrides.MediaAuthHookPort);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(server.ShutdownTimeout));
        // What the socket transport reads ahead of us per connection (default 1 MiB, held in Kestrel's
        // block pool, which keeps its high-water mark): a flood of big frames then waits in the
        // sender's socket, not in our memory. 64 KiB still fills a LAN link.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(o => o.MaxReadBufferSize = 64 * 1024);
        builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();

        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        // Core state. Every change anywhere is published once on the event hub; the faces (notifications,
        // LEDs, systemd STATUS=) and the subsystems that react to each other read it from there.
        var events = new EventHub(loggers.CreateLogger<EventHub>());
        var config = new ConfigStore(initial, configPath, loggers.CreateLogger<ConfigStore>());
        config.Changed += change => levels.Level = LogLevelSwitch.Parse(change.Current.Logging.Level);
        var health = new HealthRegistry(events);
        config.ReportHealth(health);

        // Cameras: the registry is the single source of truth; discovery keeps it in step with /dev.
        var cameras = new CameraRegistry(events);
        var discovery = new CameraDiscovery(config, cameras, overrides.CameraProbe ?? new V4l2CameraProbe(loggers.CreateLogger<V4l2CameraProbe>()), health, events,
            loggers.CreateLogger<CameraDiscovery>(), overrides.DevDirectory ?? "/dev");

        // MediaMTX: one client (timeout + circuit, whose changes go on the hub), the health monitor, the
        // path reconciler, and the camera streams (their loop reconciles and follows stream status).
        var mediaCredentials = MediaCredentials.Generate(initial.Mediamtx); // per boot: MediaMTX asks the hook below about them
        var mediaMtx = new MediaMtxClient(config, events, mediaCredentials);
        var monitor = new MediaMtxHealthMonitor(mediaMtx, config, health, events, loggers.CreateLogger<MediaMtxHealthMonitor>());
        var reconciler = new PathReconciler(mediaMtx, cameras, config, loggers.CreateLogger<PathReconciler>());
        var streams = new CameraStreams(mediaMtx, reconciler, monitor, cameras, config, events, loggers.CreateLogger<CameraStreams>());

        // Child processes (FFmpeg, ffprobe, rauc, reboot): one runner, every child tracked so a crash leaves no orphan.
        var children = new ChildProcessRegistry(config.Current.Storage.StateDir, loggers.CreateLogger<ChildProcessRegistry>());
        children.ReapLeftovers(TimeSpan.FromSeconds(config.Current.Ffmpeg.ProcessKillTimeout));
        var processes = new ProcessRunner(children, loggers.CreateLogger<ProcessRunner>());
        // Media: short FFmpeg jobs (snapshots, stills) under one concurrency cap.
        // ffmpeg.max_concurrent = 0 (the default): one short job per camera, at least 4. A snapshot FFmpeg
        // mostly waits for the next keyframe (little CPU), so the count follows the cameras, not the cores.
        var ffmpeg = new FfmpegRunner(config, processes, loggers.CreateLogger<FfmpegRunner>(),
            automaticLimit: () => Math.Max(FfmpegRunner.MinimumAutomaticLimit, cameras.All.Count));
        var snapshots = new SnapshotTaker(config, streams, ffmpeg, events, loggers.CreateLogger<SnapshotTaker>());
        // Why each recording file ended (get_recording_info's reason), kept across restarts in the state directory.
        var recordingEnds = new RecordingEndLog(config.Current.Storage.StateDir, config.Current.Recording.Path, loggers.CreateLogger<RecordingEndLog>());
        // Recordings are admitted by what the box has left (CPU, memory), measured from /proc when asked.
        var resources = new ResourceGuard(config, new MachineLoad(), loggers.CreateLogger<ResourceGuard>());
        var recorder = new Recorder(config, streams, ffmpeg, events, loggers.CreateLogger<Recorder>(), recordingEnds, resources);
        // Which encoders and containers really work here: probed once, in the background after start (READY is not held for it).
        var encoders = new EncoderProbe(ffmpeg, () => config.Current.Ffmpeg, loggers.CreateLogger<EncoderProbe>());
        var recordingOptions = new RecordingOptionsResolver(encoders, () => config.Current.Recording.Format);
        app.Lifetime.ApplicationStarted.Register(() => encoders.Start(app.Lifetime.ApplicationStopping));

        // Security: one failure budget per client address for every door a credential comes through.
        var clock = new TrustedClock(stateFile: Path.Combine(config.Current.Storage.StateDir, "clock-floor"));
        var jwt = new JwtAuthority(() => config.Current.Security.JwtSecret, maxLifetime: () => TimeSpan.FromSeconds(config.Current.Security.MaxTokenLifetime), clock: clock);
        var apiKeys = new ApiKeyStore(() => config.Current.Security.ApiKeysFile);
        var authenticator = new Authenticator(jwt, apiKeys);
        var authFailures = new AuthFailureThrottle(() => config.Current.Security.AuthFailuresPerMinute);
        // Console sessions (POST /api/session: a cookie for browsers) and media tokens (get_stream_token:
        // read one path, for the media auth hook only). Both bounded, both in memory, neither runs a timer.
        var sessions = new ConsoleSessions(() => TimeSpan.FromSeconds(config.Current.Security.SessionLifetime), () => config.Current.Security.MaxSessions);
        var mediaTokens = new MediaTokens(() => TimeSpan.FromSeconds(config.Current.Mediamtx.MediaTokenLifetime));

        // JSON-RPC
        var metrics = new RpcMetrics();
        var connections = new ConnectionRegistry(metrics);
        // A console session that ends early (logout, eviction, revoked key) closes the sockets bound to it.
        sessions.Ended += (session, _) => connections.EndConsoleSession(session.Id, "session ended");
        // Revoking a key (appliance --revoke-api-key) ends the sessions bound to it at once.
        apiKeys.Changed += () =>
        {
            var ended = connections.EndRevokedApiKeySessions(apiKeys) + sessions.EndRevokedApiKeySessions(apiKeys);
            if (ended > 0) loggers.CreateLogger<ApiKeyStore>().LogInformation("API key file changed: {Count} session(s) of revoked keys ended", ended);
        };
        apiKeys.Watch();
        app.Lifetime.ApplicationStopped.Register(apiKeys.Dispose);
        var methods = new RpcMethodTable();
        new AuthMethods(authenticator, authFailures, loggers.CreateLogger<AuthMethods>()).Register(methods);
        new SystemMethods(config, health, metrics, new ProcessStats(), methods, events, connections, recorder, encoders).Register();
        var cameraMethods = new CameraMethods(cameras, config, mediaMtx, recorder);
        cameraMethods.Register(methods);
        new MediaMethods(cameraMethods, snapshots, recorder, () => config.Current.Recording.MaxDuration, recordingOptions).Register(methods);
        new StreamMethods(mediaMtx).Register(methods);
        new StreamTokenMethods(cameraMethods, mediaTokens, config).Register(methods);
        new EventMethods(connections, cameras).Register(methods);
        // GPIO (Gpio/, issue 6): LEDs follow health, cameras, recordings and snapshots; the snapshot button
        // (or the admin method press_button) acts through SnapshotTaker/Recorder. Lines open now, so the
        // status LED blinks "starting" while cameras are scanned; they are released (LEDs dark) at exit.
        var gpio = Appliance.Gpio.GpioService.Create(config, health, cameras, events, snapshots, recorder, loggers);
        new GpioMethods(gpio).Register(methods);
        gpio.Start();
        app.Lifetime.ApplicationStopped.Register(gpio.Dispose);
        // Files and storage: catalog, downloads, storage info, retention (Storage/). Files being
        // recorded are never deleted; a recording filling the disk makes room, or stops cleanly.
        var catalog = new FileCatalog(config, recorder, new MediaProbe(() => config.Current.Ffmpeg.FfprobePath, processes, loggers.CreateLogger<MediaProbe>()));
        var retention = new RetentionSweeper(config, catalog, new RetentionPolicyStore(config, loggers.CreateLogger<RetentionPolicyStore>()), loggers.CreateLogger<RetentionSweeper>());
        var storageGuard = new StorageGuard(config, catalog);
        var storage = new StorageMonitor(storageGuard, health, loggers.CreateLogger<StorageMonitor>());
        var room = new RecordingRoom(storageGuard, retention, storage);
        recorder.BeforeStart = async ct =>
        {
            try { await room.EnsureRoomAsync(ct); }
            catch (InsufficientStorageException e) { throw new RecordingRefusedException(RpcErrorCode.InsufficientStorage, e.Message); }
        };
        recorder.KeepRecording = room.MakeRoomAsync;
        new FileMethods(catalog, recordingEnds).Register(methods);
        new StorageMethods(catalog, storageGuard, retention).Register(methods);
        FileDownloadEndpoints.Map(app, catalog, authenticator, authFailures, sessions);
        // Still images from memory (no file), viewer and up; shares one capture per camera and variant within a second.
        var stills = new StillCapture(config, new SnapshotSource(streams), ffmpeg, loggers.CreateLogger<StillCapture>());
        StillImageEndpoints.Map(app, cameras, stills, context => HttpCredentials.Authenticate(context, authenticator, authFailures, sessions));
        app.Lifetime.ApplicationStopping.Register(stills.Dispose);
        app.Lifetime.ApplicationStarted.Register(retention.Start);
        // What a crash or a power cut left: files written before this start (their FFmpeg children were
        // reaped above) are cut back to their last whole fragment, off the start-up path.
        var recoveryCutoff = DateTime.UtcNow;
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                var results = await new RecordingRecovery(loggers.CreateLogger<RecordingRecovery>())
                    .RunAsync(config.Current.Recording.Path, recoveryCutoff, recorder.IsBeingWritten, app.Lifetime.ApplicationStopping);
                recorder.Counters.CountTornTails(results.Count(r => r.Changed));
            }
            catch (OperationCanceledException) { } // stopping: the next start finishes the pass
        }));
        app.Lifetime.ApplicationStarted.Register(storage.Start);
        app.Lifetime.ApplicationStopping.Register(retention.Dispose);
        app.Lifetime.ApplicationStopping.Register(storage.Dispose);
        // OTA (Update/): the rauc CLI; the mark-good gate (a freshly installed slot is marked good only after
        // update.healthy_after s of continuous health, else the bootloader falls back); install_update's
        // background installer. Both drive the status LED's update patterns through the hub.
        var rauc = new RaucClient(() => config.Current.Update.RaucPath, processes, loggers.CreateLogger<RaucClient>());
        var updateIndicator = new UpdateIndicatorState(events);
        var reboot = new DeviceReboot(config, processes, loggers.CreateLogger<DeviceReboot>());
        var markGood = new MarkGoodGate(config, rauc, health, events, updateIndicator,
            new ConfirmedSlots(config.Current.Storage.StateDir, loggers.CreateLogger<ConfirmedSlots>()),
            loggers.CreateLogger<MarkGoodGate>(), reboot: reboot);
        var installer = new UpdateInstaller(rauc, events, updateIndicator, loggers.CreateLogger<UpdateInstaller>());
        new UpdateMethods(config, rauc, markGood, installer, reboot).Register(methods);
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(markGood.StartAsync)); // rauc is asked off the start-up path
        app.Lifetime.ApplicationStopping.Register(markGood.Dispose);
        app.Lifetime.ApplicationStopping.Register(installer.Dispose);
        methods.Freeze();
        foreach (var m in methods.All) metrics.RegisterMethod(m.Name);
        config.Changed += change =>
        {
            if (change.AppliedKeys.Any(k => k.StartsWith("security.rate_limit_", StringComparison.Ordinal)))
                foreach (var c in connections.All) c.ReplaceLimiter(WebSocketEndpoint.CreateLimiter(change.Current.Security));
        };
        var dispatcher = new RpcDispatcher(methods, authenticator, metrics, loggers.CreateLogger<RpcDispatcher>(),
            maxBatch: () => config.Current.Server.MaxBatch, authFailures: authFailures);
        new EventNotifier(connections, config).Attach(events);
        // Cancelled by the shutdown sequence below once the last notifications are queued: then clients get 1001.
        var goAway = new CancellationTokenSource();
        var endpoint = new WebSocketEndpoint(config, dispatcher, connections, metrics, authenticator, authFailures, sessions,
            loggers.CreateLogger<WebSocketEndpoint>(), goAway.Token);

        // MediaMTX's auth hook (MediaAccess/): its own loopback listener, branched off before everything else.
        new MediaAuthHook(new MediaAccessPolicy(mediaCredentials, authenticator, config, authFailures, mediaTokens), loggers.CreateLogger<MediaAuthHook>())
            .Map(app, mediaAuthHookPort);

        // HTTP surface
        app.UseWebSockets();
        app.Map(server.WebsocketPath, (RequestDelegate)endpoint.HandleAsync);
        HealthEndpoints.Map(app, health);
        new SessionEndpoints(authenticator, authFailures, sessions, loggers.CreateLogger<SessionEndpoints>()).Map(app);
        Appliance.WebConsole.ConsoleEndpoints.Map(app, config); // the field-tech page at / (Console/)

        // systemd and lifecycle
        var systemd = new SystemdNotifications(app.Services.GetRequiredService<ISystemdNotifier>(), events, health,
            app.Lifetime, loggers.CreateLogger<SystemdNotifications>());
        var log = loggers.CreateLogger<ApplianceHost>();
        if (tlsCertificate is not null) HttpsListener.LogCertificate(log, tlsCertificate);
        app.Lifetime.ApplicationStarted.Register(() => FaultInjection.Arm(initial, events, log));
        health.Report(HealthComponents.ApiServer, ComponentState.Starting, "binding");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // The media-auth hook's loopback listener shares this Kestrel but serves only MediaMTX's questions: not an API address.
            var hookSuffix = $":{mediaAuthHookPort()}";
            var addresses = string.Join(", ", (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
                .Where(a => !a.EndsWith(hookSuffix, StringComparison.Ordinal)));
            health.Report(HealthComponents.ApiServer, ComponentState.Running, $"listening on {addresses}");
            events.Publish(new ServiceLifecycleEvent(Started: true, AppInfo.Version, AppInfo.Uptime));
            log.LogInformation("{Name} {Version} ({Revision}) serving JSON-RPC at {Addresses}{Path}", AppInfo.Name, AppInfo.Version, AppInfo.GitRevision, addresses, server.WebsocketPath);
            if (overrides.WatchConfig) config.Watch();
            streams.Start();
        });
        // The shutdown sequence, in this order: tell everyone (LEDs dark, system.shutdown), finalise the
        // recordings (their STOPPED notifications still reach the clients), let the hub deliver what is
        // queued, and only then close the connections with 1001.
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            health.Report(HealthComponents.ApiServer, ComponentState.Stopped, "shutting down");
            events.Publish(new ServiceLifecycleEvent(Started: false, AppInfo.Version, AppInfo.Uptime));
            // Recordings are finalised (trailer written) before the process goes; then no child is left.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, server.ShutdownTimeout - 3)));
            try
            {
                recorder.StopAllAsync(stopping.Token).GetAwaiter().GetResult();
                children.StopAllAsync(stopping.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) { }
            events.Flush(TimeSpan.FromSeconds(1));
            goAway.Cancel();
        });
        systemd.Start();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            streams.Dispose();
            mediaMtx.Dispose();
            discovery.Dispose();
            goAway.Dispose();
        });
        return new ApplianceHost(app, events, config, metrics, connections, health, authenticator, systemd, cameras, discovery, mediaMtx, monitor,
            reconciler, snapshots, stills, recorder, storage, mediaAuthHookPort)
        {
            Sessions = sessions,
            MediaTokens = mediaTokens,
            AuthFailures = authFailures,
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
