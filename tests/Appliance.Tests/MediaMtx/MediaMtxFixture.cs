using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.Support;

namespace Appliance.Tests.MediaMtx;

/// <summary>The real service host wired to the MediaMTX stand-in (a real HTTP server that follows
/// MediaMTX's published API) with short health/circuit settings so faults play out in seconds.</summary>
public sealed class MediaMtxFixture : IAsyncDisposable
{
    private MediaMtxFixture(MediaMtxStandIn standIn, RunningHost host)
    {
        StandIn = standIn;
        Host = host;
    }

    public MediaMtxStandIn StandIn { get; }
    public RunningHost Host { get; }

    /// <param name="authHook">MediaMTX with authMethod: http against the service's auth hook: the stand-in
    /// asks the hook (on a free port picked here) before every API call and every RTSP read/publish.</param>
    /// <param name="realCameras">The host's own /dev and V4L2 probe instead of the virtual test-pattern
    /// camera (the VM's vivid devices); <paramref name="cameraNodes"/> is then unused.</param>
    public static async Task<MediaMtxFixture> StartAsync(StandInOptions? options = null, string mediaMtxExtra = "", string extraToml = "",
        bool standInRunning = true, Action<TestDirectory>? prepare = null, string storageExtra = "", string recordingExtra = "", bool authHook = false,
        bool realCameras = false, bool productionHealthTimings = false, params string[] cameraNodes)
    {
        const string virtualCamera = """
            [[camera.virtual]]
            name = "Demo"
            resolution = "320x240"
            fps = 15
            """;
        var hookPort = authHook ? FreePort() : 0;
        options ??= new StandInOptions();
        if (authHook) options = options with { AuthHttpAddress = $"http://127.0.0.1:{hookPort}{Appliance.MediaAccess.MediaAuthHook.Path}" };
        var standIn = await MediaMtxStandIn.StartAsync(options with { RtspPort = 0 }); // a free port: never collide with a real MediaMTX or another run
        if (!standInRunning) await standIn.StopAsync();
        var host = await RunningHost.StartAsync(extraToml: $"""
            [mediamtx]
            api_port = {standIn.ApiPort}
            rtsp_port = {standIn.RtspPort}
            {(productionHealthTimings ? "" : QuickHealthTimings)}
            {mediaMtxExtra}

            {(realCameras ? "" : virtualCamera)}
            {extraToml}
            """, probe: realCameras ? null : Cameras.FakeCameras.Probe(), realDev: realCameras, prepare: dir =>
        {
            Directory.CreateDirectory(dir.File("dev"));
            foreach (var n in cameraNodes) File.WriteAllText(dir.File("dev/" + n), n);
            prepare?.Invoke(dir);
        }, storageExtra: storageExtra, recordingExtra: recordingExtra, mediaAuthHookPort: hookPort);
        return new MediaMtxFixture(standIn, host);
    }

    /// <summary>Health and circuit settings that play a fault out in seconds (left out with productionHealthTimings,
    /// which keeps the service's defaults: backoff up to 120 s, a 60 s circuit break).</summary>
    private const string QuickHealthTimings = """
        request_timeout = 1
        health_check_interval = 0.5
        health_failure_threshold = 3
        health_circuit_breaker_timeout = 2
        health_max_backoff_interval = 0.5
        health_recovery_confirmation_threshold = 2
        backoff_base_multiplier = 1.5
        """;

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    public Task<RpcTestClient> ConnectAsync(Role role = Role.Admin) => Host.ConnectAsync(role);

    public static async Task Eventually(Func<bool> condition, string what, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(25);
        Assert.That(condition(), Is.True, $"timed out waiting until {what}");
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await StandIn.DisposeAsync();
    }
}
