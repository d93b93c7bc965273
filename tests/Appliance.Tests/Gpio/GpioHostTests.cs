using System.Text.Json;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Support;

namespace Appliance.Tests.Gpio;

/// <summary>
/// The GPIO subsystem inside the real host, on this machine (no GPIO): press_button over the API
/// runs real snapshots and recordings on the virtual camera (real FFmpeg, the MediaMTX stand-in),
/// the notifications reach WebSocket clients, and the LED states are reported in get_status.
/// </summary>
[NonParallelizable]
public class GpioHostTests
{
    private MediaMtxFixture _f = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) });
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path exists");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _f.DisposeAsync();

    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());


    internal static async Task<string> GpioDetail(RpcTestClient admin)
    {
        using var status = await admin.CallAsync("get_status");
        return Result(status).GetProperty("component_details").GetProperty("gpio").GetString()!;
    }

    [Test]
    public async Task AShortPressSnapshotsEveryCameraAndTellsTheClients()
    {
        await using var admin = await _f.ConnectAsync(Role.Admin);
        await using var viewer = await _f.ConnectAsync(Role.Viewer);
        await viewer.SubscribeAsync(["button.pressed", "snapshot.taken"]);
        await using var v1 = await _f.ConnectAsync(Role.Viewer); // never subscribed: the v1 notifications only
        using var reply = await admin.CallAsync("press_button", """{"button":"snapshot","press":"short"}""");
        var r = Result(reply);
        Assert.That(r.GetProperty("action").GetString(), Is.EqualTo("snapshot"), r.ToString());
        Assert.That(r.GetProperty("devices").EnumerateArray().Select(d => d.GetString()), Is.EqualTo(new[] { "virtual0" }));
        var outcome = r.GetProperty("results")[0];
        Assert.That(outcome.GetProperty("success").GetBoolean(), Is.True, outcome.ToString());
        var filename = outcome.GetProperty("filename").GetString()!;
        Assert.That(filename, Does.Match(@"^virtual0_snapshot_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d+)?\.jpg$"));
        var file = new FileInfo(Path.Combine(_f.Host.DataDir, "snapshots", filename));
        Assert.That(file.Exists && file.Length > 1000, Is.True, $"{file.FullName} is a real image");

        var pressed = await viewer.NextNotificationAsync("button_pressed");
        Assert.That(pressed.ToString(), Is.EqualTo("""{"button":"snapshot","press":"short","action":"snapshot","devices":["virtual0"],"origin":"press_button","event":"button.pressed"}"""));
        var taken = await viewer.NextNotificationAsync("snapshot_taken", p => p.GetProperty("filename").GetString() == filename);
        Assert.That(taken.GetProperty("device").GetString(), Is.EqualTo("virtual0"));
        Assert.That(taken.GetProperty("file_size").GetInt64(), Is.EqualTo(file.Length));
        Assert.That(taken.GetProperty("source").GetString(), Is.EqualTo("button"));
        Assert.That(taken.GetProperty("event").GetString(), Is.EqualTo("snapshot.taken"));
        await _f.Host.Host.Events.FlushAsync();
        await Task.Delay(100);
        Assert.That(v1.Notifications.Select(n => n.RootElement.GetProperty("method").GetString()), Has.None.EqualTo("button_pressed").And.None.EqualTo("snapshot_taken"),
            "a client that never subscribed keeps to the v1 notifications");

        using var list = await viewer.CallAsync("list_snapshots");
        Assert.That(Result(list).GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()), Does.Contain(filename));
    }

    [Test]
    public async Task AViewerReadsTheLedsAndTheButtonOnAHostWithoutGpio()
    {
        await using var viewer = await _f.ConnectAsync(Role.Viewer);
        using var reply = await viewer.CallAsync("get_gpio_state");
        var r = Result(reply);
        Assert.That(r.GetProperty("available").GetBoolean(), Is.False, "gpio.enabled is false here: no line is driven");
        Assert.That(r.GetProperty("leds").EnumerateArray().Select(l => l.GetProperty("name").GetString()), Is.EqualTo(new[] { "status", "recording", "activity" }));
        foreach (var led in r.GetProperty("leds").EnumerateArray())
        {
            Assert.That(led.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "name", "pattern", "on" }), led.ToString());
            Assert.That(led.GetProperty("on").ValueKind, Is.AnyOf(JsonValueKind.True, JsonValueKind.False));
        }
        Assert.That(r.GetProperty("leds")[0].GetProperty("pattern").GetString(), Is.AnyOf("starting", "healthy", "degraded", "error"));
        Assert.That(r.GetProperty("buttons").ToString(), Is.EqualTo("""[{"name":"snapshot","action":"snapshot"}]"""), "a connected camera: a press snapshots it");
    }

    [Test]
    public async Task ALongPressStartsRecordingAndTheNextStopsIt()
    {
        await using var admin = await _f.ConnectAsync(Role.Admin);
        using (var start = await admin.CallAsync("press_button", """{"press":"long"}"""))
        {
            var r = Result(start);
            Assert.That((r.GetProperty("press").GetString(), r.GetProperty("action").GetString()), Is.EqualTo(("long", "start_recording")), r.ToString());
            Assert.That(r.GetProperty("results")[0].GetProperty("success").GetBoolean(), Is.True, r.ToString());
        }
        await admin.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == "STARTED");
        Assert.That(_f.Host.Host.Recorder.Active("virtual0"), Is.Not.Null);
        Assert.That(await GpioDetail(admin), Does.Contain("recording LED on"));

        using (var stop = await admin.CallAsync("press_button", """{"press":"long"}"""))
            Assert.That(Result(stop).GetProperty("action").GetString(), Is.EqualTo("stop_recording"));
        Assert.That(_f.Host.Host.Recorder.Active("virtual0"), Is.Null);
        await _f.Host.Host.Events.FlushAsync(); // the LED follows the STOPPED event, delivered by the hub's own loop
        Assert.That(await GpioDetail(admin), Does.Contain("recording LED off"));
    }

    [Test]
    public async Task OnlyAdminsPressAndParamsAreChecked()
    {
        await using var op = await _f.ConnectAsync(Role.Operator);
        using (var reply = await op.CallAsync("press_button"))
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
        await using var admin = await _f.ConnectAsync(Role.Admin);
        foreach (var (p, field) in new[] { ("""{"press":"double"}""", "press"), ("""{"button":"reset"}""", "button") })
        {
            using var reply = await admin.CallAsync("press_button", p);
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo(field), p);
        }
    }

    [Test]
    public async Task WithoutGpioTheStatusLedIsReportedAndFollowsMediaMtx()
    {
        await using var admin = await _f.ConnectAsync(Role.Admin);
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")?.Detail.Contains("healthy (steady on)") == true, "healthy");
        var detail = await GpioDetail(admin);
        Assert.That(detail, Does.StartWith("disabled (gpio.enabled = false)"));

        await _f.StandIn.StopAsync();
        try
        {
            await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")!.Detail.Contains("degraded (slow blink)"), "degraded while MediaMTX is down", 15);
        }
        finally
        {
            await _f.StandIn.RestartAsync();
        }
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")!.Detail.Contains("healthy (steady on)"), "healthy again", 20);
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path back for the other tests");
    }
}

/// <summary>GPIO enabled on a machine whose gpiochip is missing: the real libgpiod lookup, a clear warning, no crash.</summary>
[NonParallelizable]
public class GpioMissingChipHostTests
{
    [Test]
    public async Task TheServiceStartsReportsTheMissingChipAndPressButtonStillWorks()
    {
        await using var host = await RunningHost.StartAsync(extraToml: "[gpio]\nenabled = true\nboard = \"rpi4\"\n", prepare: dir =>
            dir.Write("board/rpi4/pins.toml", """
                board = "rpi4"
                [status_led]
                chip = "appliance-test-no-such-chip"
                line = 17
                [snapshot_button]
                chip = "appliance-test-no-such-chip"
                line = 23
                active_low = true
                """));
        await using var admin = await host.ConnectAsync(Role.Admin);
        using (var status = await admin.CallAsync("get_status"))
        {
            var r = status.RootElement.GetProperty("result");
            Assert.That(r.GetProperty("components").GetProperty("gpio").GetString(), Is.EqualTo("degraded"));
            Assert.That(r.GetProperty("component_details").GetProperty("gpio").GetString(),
                Does.Contain("status_led, snapshot_button not available: no gpiochip labelled \"appliance-test-no-such-chip\""));
        }
        using (var state = await admin.CallAsync("get_gpio_state"))
        {
            var r = state.RootElement.GetProperty("result");
            Assert.That(r.GetProperty("available").GetBoolean(), Is.False, "the chip is missing");
            Assert.That(r.GetProperty("buttons").ToString(), Is.EqualTo("""[{"name":"snapshot","action":"none"}]"""));
        }
        using var press = await admin.CallAsync("press_button");
        var result = press.RootElement.GetProperty("result");
        Assert.That(result.GetProperty("action").GetString(), Is.EqualTo("none"), "no camera connected: nothing to snapshot");
        Assert.That(result.GetProperty("devices").GetArrayLength(), Is.Zero);
    }
}
