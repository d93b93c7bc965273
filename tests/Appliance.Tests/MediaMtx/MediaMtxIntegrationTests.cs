using System.Diagnostics;
using System.Text.Json;
using Appliance.Cameras.Virtual;
using Appliance.Media;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Testing.MediaMtx;
using Appliance.Testing.MediaMtx.Contract;

using Appliance.Testing.MediaMtx.Runtime;

namespace Appliance.Tests.MediaMtx;

/// <summary>The service against the MediaMTX stand-in over real HTTP: paths follow the cameras,
/// survive MediaMTX restarts, and every fault leaves the service up and answering.</summary>
[NonParallelizable]
public class MediaMtxIntegrationTests
{
    private static int Code(JsonDocument d) => d.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : 0;

    [Test]
    public async Task EachCameraGetsAPathWhoseRunOnDemandPublishesIt()
    {
        await using var f = await MediaMtxFixture.StartAsync(cameraNodes: "video0");
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null && f.StandIn.GetPathConf("camera0") is not null, "both paths exist");

        var conf = f.StandIn.GetPathConf("virtual0")!;
        var command = conf["runOnDemand"]!.GetValue<string>();
        var camera = f.Host.Host.Cameras.Find("virtual0")!;
        // MediaMTX splits the string itself (no shell): it must come back as exactly our argument list.
        var publisher = f.Host.Host.MediaMtx.Credentials.Publish;
        Assert.That(CommandLine.Split(command), Is.EqualTo(PublisherCommand.Arguments(camera, f.Host.Host.Config.Current, InternalRtspUrl.For(f.Host.Host.Config.Current, camera.StreamPath, publisher))));
        Assert.That(command, Does.EndWith($"rtsp://{publisher.User}:{publisher.Password}@127.0.0.1:{f.StandIn.RtspPort}/virtual0"));
        Assert.That(conf["runOnDemandRestart"]!.GetValue<bool>(), Is.True);
        Assert.That(f.StandIn.GetPathConf("camera0")!["runOnDemand"]!.GetValue<string>(), Does.Contain("-f v4l2"));
    }

    [Test]
    public async Task AnExistingPathIsPatchedToTheDesiredConfigNotAnError()
    {
        var stale = new Dictionary<string, string> { ["virtual0"] = """{"runOnDemand":"ffmpeg -old-command","record":true}""" };
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { InitialPaths = stale });
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0")?["runOnDemand"]?.GetValue<string>().Contains("lavfi") == true, "the stale path is patched");
        // The check that patched it ends with a listing of the paths, then counts as passed: healthy a moment after the PATCH.
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy after the check that patched it", 5);
        Assert.That(f.StandIn.Exchanges.Entries.Any(e => e.Method == "PATCH" && e.PathAndQuery.StartsWith("/v3/config/paths/patch/virtual0")), Is.True);
    }

    [Test]
    public async Task EnsureTurnsAlreadyExistsIntoACompareAndPatch()
    {
        await using var f = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");
        var desired = f.Host.Host.Reconciler.Desired(f.Host.Host.Cameras.Find("virtual0")!);
        f.StandIn.Exchanges.Clear();
        await f.Host.Host.Reconciler.EnsureAsync("virtual0", desired, CancellationToken.None);   // same config: add -> exists -> get, no patch
        var calls = f.StandIn.Exchanges.Entries.Select(e => $"{e.Method} {e.PathAndQuery.Split('?')[0]} {e.Status}").ToList();
        Assert.That(calls, Is.EqualTo(new[] { "POST /v3/config/paths/add/virtual0 400", "GET /v3/config/paths/get/virtual0 200" }));
    }

    [Test]
    public async Task APathGoesWithItsCameraAndComesBackWithIt()
    {
        await using var f = await MediaMtxFixture.StartAsync(cameraNodes: "video1");
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("camera1") is not null, "camera1 path exists");
        File.Delete(Path.Combine(f.Host.DevDir, "video1"));
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("camera1") is null, "camera1 path is removed");
        Assert.That(f.StandIn.GetPathConf("virtual0"), Is.Not.Null, "other paths stay");
        File.WriteAllText(Path.Combine(f.Host.DevDir, "video1"), "again");
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("camera1") is not null, "camera1 path is back");
    }

    [Test]
    public async Task AfterMediaMtxRestartsEveryPathIsRecreated()
    {
        await using var f = await MediaMtxFixture.StartAsync(cameraNodes: "video0");
        await MediaMtxFixture.Eventually(() => f.StandIn.PathConfNames.Count == 2, "two paths");
        await f.StandIn.RestartAsync();
        Assert.That(f.StandIn.PathConfNames, Is.Empty, "MediaMTX's API config lives in memory only");
        await MediaMtxFixture.Eventually(() => f.StandIn.PathConfNames.Count == 2, "paths re-created after the restart");
    }

    [Test]
    public async Task MediaMtxAbsentAtStartThenArriving()
    {
        await using var f = await MediaMtxFixture.StartAsync(standInRunning: false);
        await using var client = await f.ConnectAsync();
        using (var streams = await client.CallAsync("get_streams")) Assert.That(Code(streams), Is.EqualTo(-32006));
        using (var ping = await client.CallAsync("ping")) Assert.That(Code(ping), Is.EqualTo(0));
        using (var status = await client.CallAsync("get_status"))
            Assert.That(status.RootElement.GetProperty("result").GetProperty("components").GetProperty("mediamtx_controller").GetString(), Is.EqualTo("degraded"));

        await f.StandIn.RestartAsync();
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy once MediaMTX is there", 15);
        Assert.That(f.StandIn.GetPathConf("virtual0"), Is.Not.Null);
        using var after = await client.CallAsync("get_streams");
        Assert.That(Code(after), Is.EqualTo(0));
    }

    // Issue 19: with the service's own backoff (here ~100 s before the fourth check) and its circuit open
    // for a minute, MediaMTX coming back is still noticed within 5 s: while nothing listens on the API
    // port a connect probe runs every two seconds, and its first success ends both the wait and the break.
    [Test]
    public async Task MediaMtxComingBackIsNoticedWithinFiveSecondsWhateverTheBackoff()
    {
        await using var f = await MediaMtxFixture.StartAsync(standInRunning: false, productionHealthTimings: true, mediaMtxExtra: """
            health_failure_threshold = 3
            backoff_base_multiplier = 10
            """);
        var monitor = f.Host.Host.MediaMtxMonitor;
        await MediaMtxFixture.Eventually(() => monitor.Failures >= 3 && f.Host.Host.MediaMtx.Circuit == Polly.CircuitBreaker.CircuitState.Open,
            "three failed checks (1 s, then 10 s apart) and the circuit open; the next check ~100 s away", 25);
        await Task.Delay(1500);

        await f.StandIn.RestartAsync();
        var back = Stopwatch.StartNew();
        await MediaMtxFixture.Eventually(() => monitor.State is MediaMtxState.Recovering or MediaMtxState.Healthy, "MediaMTX noticed", 5);
        TestContext.Out.WriteLine($"noticed {back.ElapsedMilliseconds} ms after the restart; {monitor.Failures} failed checks");
        Assert.That(monitor.Failures, Is.EqualTo(3), "no check ran in between: the probe is a bare connect, not an API call");
        await MediaMtxFixture.Eventually(() => monitor.State == MediaMtxState.Healthy, "healthy after the confirmation checks", 15);
        Assert.That(f.StandIn.GetPathConf("virtual0"), Is.Not.Null, "paths reconciled");
    }

    [Test]
    public async Task KilledMidOperationTheCircuitOpensCallsFailFastAndRecoveryIsConfirmed()
    {
        await using var f = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy");
        await using var client = await f.ConnectAsync();
        var states = new List<MediaMtxState>();
        using var _ = f.Host.Host.Events.On<MediaMtxStateChanged>("test", e => { lock (states) states.Add(e.State); });

        await f.StandIn.StopAsync();
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtx.Circuit == Polly.CircuitBreaker.CircuitState.Open, "the circuit opens", 15);
        var sw = Stopwatch.StartNew();
        using (var streams = await client.CallAsync("get_streams"))
        {
            Assert.That(Code(streams), Is.EqualTo(-32006));
            Assert.That(streams.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("circuit open"));
        }
        Assert.That(sw.ElapsedMilliseconds, Is.LessThan(500), "an open circuit fails fast");
        using (var cameras = await client.CallAsync("get_camera_list")) Assert.That(Code(cameras), Is.EqualTo(0), "the rest of the API keeps answering");
        using (var status = await client.CallAsync("get_status"))
            Assert.That(status.RootElement.GetProperty("result").GetProperty("component_details").GetProperty("mediamtx_controller").GetString(), Does.Contain("circuit open"));

        await f.StandIn.RestartAsync();
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy again", 20);
        await f.Host.Host.Events.FlushAsync();
        lock (states)
        {
            Assert.That(states, Does.Contain(MediaMtxState.CircuitOpen));
            Assert.That(states.IndexOf(MediaMtxState.Recovering), Is.LessThan(states.LastIndexOf(MediaMtxState.Healthy)), "recovery is confirmed before healthy");
        }
        Assert.That(f.StandIn.GetPathConf("virtual0"), Is.Not.Null, "paths reconciled after the outage");
    }

    [TestCase(FaultKind.Delay)]
    [TestCase(FaultKind.Status)]
    [TestCase(FaultKind.GarbageBody)]
    [TestCase(FaultKind.TruncatedBody)]
    [TestCase(FaultKind.DropConnection)]
    public async Task EveryFaultIsMinus32006AndNeverHangsTheApi(FaultKind kind)
    {
        await using var f = await MediaMtxFixture.StartAsync(mediaMtxExtra: "");
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy");
        await using var client = await f.ConnectAsync();
        f.StandIn.Faults.Add(kind switch
        {
            FaultKind.Delay => Fault.Slow(TimeSpan.FromSeconds(3)) with { PathPrefix = "/v3/paths/list" },
            FaultKind.Status => Fault.Status(500) with { PathPrefix = "/v3/paths/list" },
            FaultKind.GarbageBody => Fault.Garbage() with { PathPrefix = "/v3/paths/list" },
            FaultKind.TruncatedBody => Fault.Truncated() with { PathPrefix = "/v3/paths/list" },
            _ => Fault.Dropped() with { PathPrefix = "/v3/paths/list" },
        });
        var sw = Stopwatch.StartNew();
        using var reply = await client.CallAsync("get_streams");
        Assert.That(Code(reply), Is.EqualTo(-32006), reply.RootElement.ToString());
        Assert.That(reply.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("MediaMTX"));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2.5)), "bounded by mediamtx.request_timeout (1 s)");
        using var ping = await client.CallAsync("ping");
        Assert.That(Code(ping), Is.EqualTo(0));
        f.StandIn.Faults.Clear();
        using var ok = await client.CallAsync("get_streams");
        Assert.That(Code(ok), Is.EqualTo(0));
    }

    [TestCase("1.5.0", false)]
    [TestCase("1.15.1", false)]
    [TestCase("1.15.5", true)]
    [TestCase("1.16.0", true)]
    [TestCase("1.17.0", true)]
    [TestCase("1.20.1", true)]
    public async Task StreamsAndStatsReadEveryVersionsShape(string version, bool hasInfo)
    {
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { ApiVersion = version });
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");
        await using var client = await f.ConnectAsync();
        using (var before = await client.CallAsync("get_streams"))
        {
            var s = before.RootElement.GetProperty("result").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "virtual0");
            Assert.That(s.GetProperty("ready").GetBoolean(), Is.False);
        }
        f.StandIn.SimulatePublisher("virtual0");
        f.StandIn.SimulateReader("virtual0");
        Assert.That(await f.Host.Host.MediaMtx.WaitUntilReadyAsync("virtual0", TimeSpan.FromSeconds(5), CancellationToken.None), Is.True);
        using var after = await client.CallAsync("get_streams");
        var entry = after.RootElement.GetProperty("result").EnumerateArray().Single(e => e.GetProperty("name").GetString() == "virtual0");
        Assert.That(entry.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "name", "source", "ready", "readers", "bytes_sent" }));
        Assert.That((entry.GetProperty("ready").GetBoolean(), entry.GetProperty("readers").GetInt32()), Is.EqualTo((true, 1)));
        using var status = await client.CallAsync("get_camera_status", """{"device":"virtual0"}""");
        Assert.That(status.RootElement.GetProperty("result").GetProperty("metrics").GetProperty("readers").GetInt32(), Is.EqualTo(1));
        Assert.That(f.Host.Host.MediaMtxMonitor.Version, hasInfo ? Does.Contain(version) : Does.StartWith("unknown"), "/v3/info exists from v1.15.2");
    }

    [Test]
    public async Task ReadinessWaitTimesOutWhenNothingPublishes()
    {
        await using var f = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");
        var sw = Stopwatch.StartNew();
        Assert.That(await f.Host.Host.MediaMtx.WaitUntilReadyAsync("virtual0", TimeSpan.FromSeconds(1), CancellationToken.None), Is.False);
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task ApiCredentialsAreSentWhenConfigured()
    {
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { Username = "appliance", Password = "s3cret" },
            mediaMtxExtra: "api_username = \"appliance\"\napi_password = \"s3cret\"");
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "authenticated calls create the path");
    }

    [Test]
    public async Task WrongApiCredentialsAreReportedClearly()
    {
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { Username = "appliance", Password = "s3cret", WrongCredentialsPause = TimeSpan.Zero },
            mediaMtxExtra: "api_username = \"appliance\"\napi_password = \"wrong\"");
        await MediaMtxFixture.Eventually(() => f.Host.Host.Health.Get("mediamtx_controller")?.Detail.Contains("credentials") == true, "the credential problem is named");
        Assert.That(f.StandIn.PathConfNames, Is.Empty);
    }

    [Test]
    public async Task EveryRequestWeSendAndEveryResponseTheStandInGivesFollowsTheOpenApiSchema()
    {
        await using var f = await MediaMtxFixture.StartAsync(cameraNodes: "video0");
        await MediaMtxFixture.Eventually(() => f.StandIn.PathConfNames.Count == 2, "paths exist");
        await using var client = await f.ConnectAsync();
        (await client.CallAsync("get_streams")).Dispose();
        (await client.CallAsync("get_camera_status", """{"device":"camera0"}""")).Dispose();
        File.Delete(Path.Combine(f.Host.DevDir, "video0"));
        await MediaMtxFixture.Eventually(() => f.StandIn.PathConfNames.Count == 1, "path removed");
        await f.Host.Host.Reconciler.EnsureAsync("virtual0", f.Host.Host.Reconciler.Desired(f.Host.Host.Cameras.Find("virtual0")!), CancellationToken.None);
        (await f.Host.Host.MediaMtx.GetGlobalConfigAsync(CancellationToken.None)).Clear();
        await f.Host.Host.MediaMtx.ListRecordingsAsync(CancellationToken.None);

        var exchanges = f.StandIn.Exchanges.Entries;
        Assert.That(exchanges.Select(e => e.Method).Distinct(), Is.SupersetOf(new[] { "GET", "POST", "DELETE" }));
        var violations = exchanges.SelectMany(e => OpenApiContract.Default.CheckExchange(e).Select(v => $"{e}: {v}")).ToList();
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public async Task NoSocketsOrThreadsLeakThroughFaultsAndRecovery()
    {
        await using var f = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy");
        await using var client = await f.ConnectAsync();
        for (var i = 0; i < 20; i++) (await client.CallAsync("get_streams")).Dispose();
        await Task.Delay(200);
        var sockets = SocketCount();
        var threads = Process.GetCurrentProcess().Threads.Count;

        for (var round = 0; round < 3; round++)
        {
            f.StandIn.Faults.Add(Fault.Dropped() with { PathPrefix = "/v3/paths/list", Count = 5 });
            f.StandIn.Faults.Add(Fault.Truncated() with { PathPrefix = "/v3/paths/list", Count = 5 });
            for (var i = 0; i < 12; i++) (await client.CallAsync("get_streams")).Dispose();
            await f.StandIn.StopAsync();
            await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State != MediaMtxState.Healthy, "noticed the outage", 15);
            await f.StandIn.RestartAsync();
            f.StandIn.Faults.Clear();
            await MediaMtxFixture.Eventually(() => f.Host.Host.MediaMtxMonitor.State == MediaMtxState.Healthy, "healthy again", 20);
            for (var i = 0; i < 20; i++) (await client.CallAsync("get_streams")).Dispose();
        }
        await Task.Delay(500);
        Assert.That(SocketCount(), Is.LessThanOrEqualTo(sockets + 8), "sockets do not pile up (the pool holds at most 8 per server)");
        Assert.That(Process.GetCurrentProcess().Threads.Count, Is.LessThanOrEqualTo(threads + 10), "no threads stuck on dead calls");
    }

    private static int SocketCount() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Count(fd => fd.LinkTarget?.StartsWith("socket:") == true);
}
