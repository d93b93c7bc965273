using System.Diagnostics;
using System.Text.Json;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.Gpio;
using Appliance.Tests.MediaMtx;

namespace Appliance.Tests.Vm;

/// <summary>
/// The service on a real gpiochip: gpio-sim lines labelled "pinctrl-bcm2711", so the shipped rpi4
/// map (status LED 17, recording LED 27, activity LED 22, button 23 active low with pull-up) finds
/// them exactly as on a Raspberry Pi 4, through libgpiod. The camera is the virtual test pattern
/// with the MediaMTX stand-in and its RTSP relay, so snapshots and recordings are real files.
/// </summary>
[Category("Vm")]
[NonParallelizable]
public class GpioSimTests
{
    private const int Status = 17, Recording = 27, Activity = 22, Button = 23;
    private GpioSim _chip = null!;
    private MediaMtxFixture _f = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        VmEnvironment.Require();
        VmEnvironment.WarmUpGStreamer();
        _chip = new GpioSim("appliance-rpi4", "pinctrl-bcm2711", 58,
            new Dictionary<int, string> { [Status] = "status_led", [Recording] = "recording_led", [Activity] = "activity_led", [Button] = "snapshot_button" });
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1), RelayStartTimeout = VmEnvironment.RelayStartTimeout },
            mediaMtxExtra: VmEnvironment.SlowPublisher, extraToml: "\n[gpio]\nenabled = true\nboard = \"rpi4\"\nbutton_long_press_ms = 1000\n" + VmEnvironment.SlowFfmpeg);
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path exists", 30);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        if (_f is not null) await _f.DisposeAsync();
        _chip?.Dispose();
    }

    private async Task HoldAsync(int milliseconds)
    {
        _chip.Press(Button);
        await Task.Delay(milliseconds);
        _chip.Release(Button);
    }

    [Test]
    public void TheBoardMapFindsTheChipByLabelAndTakesItsLines()
    {
        var gpio = _f.Host.Host.Health.Get("gpio")!;
        Assert.That(gpio.Detail, Does.Contain($"board rpi4: status_led pinctrl-bcm2711:{Status}, recording_led pinctrl-bcm2711:{Recording}"), gpio.Detail);
        Assert.That(gpio.State, Is.EqualTo(Appliance.Health.ComponentState.Running));
        Assert.That(_chip.Pull(Button), Is.EqualTo("pull-up"), "the map's bias reached the line");
        Assert.That(_chip.Value(Recording), Is.Zero);
        VmEnvironment.Record($"gpio-sim chip {_chip.ChipName} labelled {_chip.Label}: rpi4 map opened through libgpiod");
    }

    [Test]
    public async Task AShortPressTakesASnapshotAndTellsTheClients()
    {
        await using var viewer = await _f.ConnectAsync(Role.Viewer);
        await viewer.SubscribeAsync(["button.pressed", "snapshot.taken"]);
        using var flashes = new LineSampler(_chip, Activity);
        var sw = Stopwatch.StartNew();
        await HoldAsync(300);
        var pressed = await viewer.NextNotificationAsync("button_pressed", seconds: 10);
        var pressedMs = sw.Elapsed.TotalMilliseconds;
        Assert.That(pressed.ToString(), Is.EqualTo("""{"button":"snapshot","press":"short","action":"snapshot","devices":["virtual0"],"origin":"gpio","event":"button.pressed"}"""));
        var taken = await viewer.NextNotificationAsync("snapshot_taken", seconds: 90); // FFmpeg alone takes 20-40 s to start in the TCG guest
        Assert.That(taken.GetProperty("source").GetString(), Is.EqualTo("button"));
        var file = new FileInfo(Path.Combine(_f.Host.DataDir, "snapshots", taken.GetProperty("filename").GetString()!));
        Assert.That(file.Exists, Is.True, file.FullName);
        Assert.That(file.Length, Is.EqualTo(taken.GetProperty("file_size").GetInt64()));
        using (var list = await viewer.CallAsync("list_snapshots"))
            Assert.That(list.RootElement.GetProperty("result").GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()),
                Does.Contain(file.Name), "the button's snapshot is listed");
        await Task.Delay(500);
        Assert.That(flashes.SawHigh, Is.True, "the activity LED flashed for the snapshot");
        Assert.That(_chip.Value(Activity), Is.Zero, "and went dark again");
        Assert.That(viewer.Notifications.Any(n => n.RootElement.GetProperty("method").GetString() == "button_pressed"), Is.False, "one press, one notification");
        VmEnvironment.Record($"gpio-sim button: release -> button_pressed on the WebSocket in {pressedMs - 300:F0} ms (50 ms debounce; TCG-emulated VM)");
    }

    // The first read of the cold stream is slow here (FFmpeg takes 20-40 s to start in the TCG guest):
    // it needs the recorder to read again when its first reader gives up just as the publisher comes
    // up, and the publisher to wait that long for it (runOnDemandCloseAfter follows
    // stream_readiness_timeout). The failure message says what the stand-in and service saw.
    [Test]
    public async Task ALongPressStartsRecordingWithTheRecordingLedAndTheNextStopsIt()
    {
        await using var viewer = await _f.ConnectAsync(Role.Viewer);
        await viewer.SubscribeAsync(["button.pressed", "recording_status_update"]);
        await HoldAsync(2500); // one long press at 1 s; holding on never fires again
        var pressed = await viewer.NextNotificationAsync("button_pressed", seconds: 10);
        Assert.That(pressed.GetProperty("action").GetString(), Is.EqualTo("start_recording"));
        try
        {
            await viewer.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == "STARTED", seconds: 100);
        }
        catch (TimeoutException e)
        {
            // Say why: what the publisher printed, whether the recorder runs, what the service thinks.
            var demand = _f.StandIn.GetOnDemandStatus("virtual0");
            await using var admin = await _f.ConnectAsync(Role.Admin);
            using var status = await admin.CallAsync("get_status");
            Assert.Fail($"{e.Message}; recorder active: {_f.Host.Host.Recorder.Active("virtual0") is not null}; on-demand publisher: {demand.Phase}, " +
                $"pid {demand.ProcessId}, launches {demand.Launches}, output: {string.Join(" | ", demand.OutputTail)}; path: {_f.StandIn.GetPath("virtual0")?.ToJsonString()}; " +
                $"status: {status.RootElement}; notifications: {string.Join(" ", viewer.Notifications.Select(n => n.RootElement.ToString()))}");
        }
        await MediaMtxFixture.Eventually(() => _chip.Value(Recording) == 1, "recording LED on");
        Assert.That(_f.Host.Host.Recorder.Active("virtual0"), Is.Not.Null);
        Assert.That(viewer.Notifications.Count(n => n.RootElement.GetProperty("method").GetString() == "button_pressed"), Is.Zero, "held 2.5 s: still one press");

        await HoldAsync(1500);
        var second = await viewer.NextNotificationAsync("button_pressed", seconds: 10);
        Assert.That(second.GetProperty("action").GetString(), Is.EqualTo("stop_recording"));
        await viewer.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == "STOPPED", seconds: 30);
        await MediaMtxFixture.Eventually(() => _chip.Value(Recording) == 0, "recording LED off");
        var files = Directory.GetFiles(Path.Combine(_f.Host.DataDir, "recordings"), "virtual0_*.mp4");
        Assert.That(files, Is.Not.Empty);
    }

    [Test]
    public async Task TheStatusLedFollowsMediaMtxDownAndBack()
    {
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")!.Detail.Contains("healthy (steady on)"), "healthy", 30);
        Assert.That(Sample(Status, 1000).Distinct(), Is.EqualTo(new[] { 1 }), "healthy: steady on");

        await _f.StandIn.StopAsync();
        try
        {
            await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")!.Detail.Contains("degraded (slow blink)"), "degraded", 30);
            var blink = Sample(Status, 2500);
            Assert.That(blink.Distinct().Order(), Is.EqualTo(new[] { 0, 1 }), "degraded: blinking");
            Assert.That(Changes(blink), Is.InRange(3, 7), "slow: about 0.5 s per step");
        }
        finally
        {
            await _f.StandIn.RestartAsync();
        }
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Get("gpio")!.Detail.Contains("healthy (steady on)"), "healthy again", 40);
        Assert.That(Sample(Status, 1000).Distinct(), Is.EqualTo(new[] { 1 }), "steady on again");
    }

    // The line's value every 20 ms for the given time.
    private List<int> Sample(int line, int milliseconds)
    {
        var values = new List<int>();
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < milliseconds)
        {
            values.Add(_chip.Value(line));
            Thread.Sleep(20);
        }
        return values;
    }

    private static int Changes(List<int> values) => values.Zip(values.Skip(1)).Count(p => p.First != p.Second);

    /// <summary>Watches a line in the background for a short high (the 150 ms activity flash).</summary>
    private sealed class LineSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _task;
        private volatile bool _sawHigh;

        public LineSampler(GpioSim chip, int line) =>
            _task = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    if (chip.Value(line) == 1) _sawHigh = true;
                    await Task.Delay(5);
                }
            });

        public bool SawHigh => _sawHigh;

        public void Dispose()
        {
            _stop.Cancel();
            _task.Wait(TimeSpan.FromSeconds(2));
        }
    }
}

/// <summary>Pin maps reload with the config: switching gpio.board moves the LEDs to the other board's chip.</summary>
[Category("Vm")]
[NonParallelizable]
public class GpioSimReloadTests
{
    [Test]
    public async Task ChangingTheBoardInTheConfigFileMovesTheLedsToTheOtherChip()
    {
        VmEnvironment.Require();
        using var pi4 = new GpioSim("appliance-reload-pi4", "pinctrl-bcm2711", 58);
        using var pi5 = new GpioSim("appliance-reload-pi5", "pinctrl-rp1", 54);
        await using var f = await MediaMtxFixture.StartAsync(extraToml: "\n[gpio]\nenabled = true\nboard = \"rpi4\"\n");
        await MediaMtxFixture.Eventually(() => pi4.Value(17) == 1 && f.Host.Host.Health.Get("gpio")!.Detail.Contains("healthy"), "rpi4 status LED lit", 30);
        Assert.That(pi5.Value(17), Is.Zero);

        var text = await File.ReadAllTextAsync(f.Host.ConfigPath);
        await File.WriteAllTextAsync(f.Host.ConfigPath, text.Replace("board = \"rpi4\"", "board = \"rpi5\""));
        await MediaMtxFixture.Eventually(() => pi5.Value(17) == 1, "the rpi5 map's status LED lights", 15);
        Assert.That(pi4.Value(17), Is.Zero, "the old line was left dark");
        Assert.That(f.Host.Host.Health.Get("gpio")!.Detail, Does.Contain("pinctrl-rp1:17"));
        Assert.That(pi5.Pull(23), Is.EqualTo("pull-up"), "the button moved too");
    }
}
