using System.Device.Gpio;
using Appliance.Gpio;
using Appliance.Health;
using Appliance.MediaMtx;
using Microsoft.Extensions.Logging;
using NSubstitute;

namespace Appliance.Tests.Gpio;

/// <summary>The GPIO service on fake gpiochips: LEDs from events, the button, missing/busy chips, reload.</summary>
public class GpioServiceTests
{
    private GpioRig _rig = null!;

    [TearDown]
    public void Dispose() => _rig.Dispose();

    private GpioRig Start(string gpioToml = "enabled = true\nboard = \"rpi4\"", bool withChips = true)
    {
        _rig = new GpioRig(gpioToml, withChips);
        _rig.Service.Start();
        return _rig;
    }

    [Test]
    public void OpensTheBoardsLinesAsOutputsAndTheButtonAsAPulledUpInputWithEdges()
    {
        var r = Start();
        Assert.That(r.Chips.Opened, Is.EqualTo(new[] { "pinctrl-bcm2711" }), "found by label");
        foreach (var led in new[] { GpioRig.StatusLine, GpioRig.RecordingLine, GpioRig.ActivityLine })
            Assert.That(r.Bcm.Mode(led), Is.EqualTo(PinMode.Output), $"line {led}");
        Assert.That(r.Bcm.Mode(GpioRig.ButtonLine), Is.EqualTo(PinMode.InputPullUp));
        Assert.That(r.Bcm.HasCallback(GpioRig.ButtonLine), Is.True);
        Assert.That(r.Health.Get(GpioService.Component)!.State, Is.EqualTo(ComponentState.Running));
        Assert.That(r.Health.Get(GpioService.Component)!.Detail, Does.Contain("status_led pinctrl-bcm2711:17"));
    }

    [Test]
    public void TheStatusLedFollowsHealthAsMediaMtxGoesDownAndComesBack()
    {
        var r = Start();
        r.Wait(500);
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Starting));
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.StatusLine, TimeSpan.Zero), Has.Count.GreaterThanOrEqualTo(4), "fast blink while starting");

        r.MakeHealthy();
        r.Wait(10);
        var mark = r.Now;
        r.Wait(2000);
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy));
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.StatusLine, mark), Is.Empty, "steady on: no writes");
        Assert.That(r.Bcm.Level(GpioRig.StatusLine), Is.True);

        r.Health.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded, "circuit open");
        mark = r.Now;
        r.Wait(2000);
        // Slow blink; it starts lit, which the line already is: the first write is the first "off".
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.StatusLine, mark), Is.EqualTo(new[] { 500.0, 1000, 1500, 2000 }), "slow blink");
        Assert.That(r.Health.Get(GpioService.Component)!.Detail, Does.Contain("degraded (slow blink)"));

        r.Health.Report(MediaMtxHealthMonitor.Component, ComponentState.Running);
        r.Wait(1000);
        Assert.That(r.Bcm.Level(GpioRig.StatusLine), Is.True);
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy));
        Assert.That(r.Log.At(LogLevel.Information), Has.Some.Contains("Status LED degraded (slow blink): MediaMTX unavailable"));
    }

    [Test]
    public void NoCameraIsDegradedAndAFailedComponentOrARejectedConfigIsAnError()
    {
        var r = Start();
        r.MakeHealthy();
        r.Registry.MarkDisconnected("/dev/video0");
        r.Settle();
        Assert.That(r.Service.Status, Is.EqualTo((StatusPattern.Degraded, "no camera connected")));
        r.Registry.Set(Cameras.FakeCameras.Make("/dev/video0", "cam0"));
        r.Settle();
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy));

        r.Wait(10);
        r.Health.Report("storage", ComponentState.Failed, "disk 97 % full");
        var mark = r.Now;
        r.Wait(1000);
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Error));
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.StatusLine, mark), Is.EqualTo(new[] { 125.0, 250, 375, 1000 }), "double blink: off, on, off, pause, on");
        r.Health.Report("storage", ComponentState.Running);

        r.WriteConfig("enabled = true\nboard = \"rpi4\"\nled_blink_interval = 99");
        Assert.That(r.Config.Reload(), Is.Null, "rejected");
        r.Settle();
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Error));
        Assert.That(r.Service.Status.Reason, Does.Contain("gpio.led_blink_interval"));
        Assert.That(r.Health.Get("config")!.State, Is.EqualTo(ComponentState.Failed), "get_status says so too");
        // Reverted to exactly the running config: nothing changes, but the file is valid again.
        r.WriteConfig("enabled = true\nboard = \"rpi4\"");
        Assert.That(r.Config.Reload(), Is.Null, "nothing changed");
        r.Settle();
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy), "a reverted edit clears the error");
        r.WriteConfig("enabled = true\nboard = \"rpi4\"\nled_blink_interval = 99");
        r.Config.Reload();
        r.WriteConfig("enabled = true\nboard = \"rpi4\"\nled_blink_interval = 0.4");
        Assert.That(r.Config.Reload(), Is.Not.Null);
        r.Settle();
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy));
    }

    [Test]
    public void TheRecordingLedIsOnWhileRecordingAndTheActivityLedFlashesPerSnapshot()
    {
        var r = Start();
        r.Service.RecordingChanged(true);
        Assert.That((r.Bcm.Level(GpioRig.RecordingLine), r.Service.RecordingLedOn), Is.EqualTo((true, true)));
        Assert.That(r.Health.Get(GpioService.Component)!.Detail, Does.Contain("recording LED on"));
        r.Service.RecordingChanged(false);
        Assert.That(r.Bcm.Level(GpioRig.RecordingLine), Is.False);

        r.Wait(10);
        var mark = r.Now;
        r.Service.SnapshotTaken();
        r.Wait(400);
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.ActivityLine, mark), Is.EqualTo(new[] { 0.0, 150 }), "gpio.activity_flash_ms = 150");
    }

    [Test]
    public void AShortPressOnTheLineRunsTheSnapshotActionOnce()
    {
        var r = Start();
        foreach (var v in new[] { false, true, false, true, false }) { r.Bcm.SetInput(GpioRig.ButtonLine, v); r.Wait(2, 2); } // bouncy press (active low)
        r.Wait(300);
        foreach (var v in new[] { true, false, true }) { r.Bcm.SetInput(GpioRig.ButtonLine, v); r.Wait(2, 2); }
        r.Wait(100);
        var plans = r.WaitForPlans(1);
        Assert.That(plans.Select(p => (p.Button, p.Press, p.Action)), Is.EqualTo(new[] { ("snapshot", PressKind.Short, "snapshot") }));
        Thread.Sleep(200);
        r.Actions.Received(1).Plan("snapshot", PressKind.Short);
        r.Actions.Received(1).ExecuteAsync(Arg.Is<ButtonPlan>(p => p.Action == "snapshot"), Arg.Any<CancellationToken>());
    }

    [Test]
    public void AHeldButtonFiresOneLongPressAndNothingMore()
    {
        var r = Start();
        r.Bcm.SetInput(GpioRig.ButtonLine, false);
        r.Wait(6000, 10);
        r.Bcm.SetInput(GpioRig.ButtonLine, true);
        r.Wait(200);
        var plans = r.WaitForPlans(1);
        Thread.Sleep(200);
        Assert.That(r.WaitForPlans(2, 0.1).Select(p => p.Press), Is.EqualTo(new[] { PressKind.Long }));
        Assert.That(plans[0].Action, Is.EqualTo("start_recording"));
    }

    [Test]
    public async Task PressButtonTakesTheSamePathAndSaysWhatItDid()
    {
        var r = Start();
        var result = await r.Service.PressAsync("snapshot", PressKind.Short, CancellationToken.None);
        Assert.That(result, Is.EqualTo(result with { Button = "snapshot", Press = "short", Action = "snapshot" }));
        Assert.That(result.Devices, Is.EqualTo(new[] { "/dev/video0" }));
        Assert.That(result.Results.Single().Filename, Is.EqualTo("camera0_snapshot.jpg"));
        Assert.That(r.WaitForPlans(1), Has.Count.EqualTo(1), "button_pressed is raised for API presses too");
    }

    [Test]
    public async Task AMissingChipIsAWarningNotACrashAndTheRestStillWorks()
    {
        var r = Start(withChips: false);
        var warning = r.Log.At(LogLevel.Warning).Single(w => w.Contains("no gpiochip labelled \"pinctrl-bcm2711\""));
        Assert.That(warning, Does.Contain("status_led, recording_led, activity_led, snapshot_button not available"));
        Assert.That(warning, Does.Contain("press_button"), "says what still works");
        var gpio = r.Health.Get(GpioService.Component)!;
        Assert.That((gpio.State, gpio.Detail), Is.EqualTo((ComponentState.Degraded, gpio.Detail)));
        Assert.That(gpio.Detail, Does.Contain("pinctrl-bcm2711"));

        r.MakeHealthy();
        Assert.That((r.Service.Status.Pattern, r.Service.StatusLedOn), Is.EqualTo((StatusPattern.Healthy, true)), "state kept and reported without a line");
        var result = await r.Service.PressAsync("snapshot", PressKind.Long, CancellationToken.None);
        Assert.That(result.Action, Is.EqualTo("start_recording"));
    }

    [Test]
    public void TheStateOfASimulatedBoardShowsEachLedAndTheButton()
    {
        var r = Start();
        r.MakeHealthy();
        r.Service.RecordingChanged(true);
        var state = r.Service.State();
        Assert.That(state.Available, Is.True, "the fake chip's lines are open");
        Assert.That(state.Leds.Select(l => (l.Name, l.Pattern, l.On)), Is.EqualTo(new[]
        {
            ("status", "healthy", true), ("recording", "steady", true), ("activity", "off", false),
        }));
        Assert.That(r.Bcm.Level(GpioRig.RecordingLine), Is.True, "the state is what the line was told");
        Assert.That(state.Buttons.Select(b => (b.Name, b.Action)), Is.EqualTo(new[] { ("snapshot", "snapshot") }));

        r.Service.SnapshotTaken();
        Assert.That(r.Service.State().Leds.Single(l => l.Name == "activity"), Is.EqualTo(new LedState("activity", "flash", true)));
        r.Service.RecordingChanged(false);
        r.Health.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded, "circuit open");
        r.Settle();
        Assert.That(r.Service.State().Leds.Take(2).Select(l => (l.Name, l.Pattern)), Is.EqualTo(new[] { ("status", "degraded"), ("recording", "off") }));
    }

    [Test]
    public void WithoutItsChipTheBoardIsNotAvailableButTheStateIsStillKept()
    {
        var r = Start(withChips: false);
        r.MakeHealthy();
        var state = r.Service.State();
        Assert.That(state.Available, Is.False);
        Assert.That(state.Leds[0], Is.EqualTo(new LedState("status", "healthy", true)));
    }

    [Test]
    public void ABusyLineIsAWarningAndTheOtherPinsWork()
    {
        _rig = new GpioRig();
        _rig.Bcm.Busy.Add(GpioRig.StatusLine);
        _rig.Service.Start();
        Assert.That(_rig.Log.At(LogLevel.Warning), Has.Some.Contains("status_led = pinctrl-bcm2711 line 17: cannot open the line (busy"));
        Assert.That(_rig.Health.Get(GpioService.Component)!.State, Is.EqualTo(ComponentState.Degraded));
        _rig.Service.RecordingChanged(true);
        Assert.That(_rig.Bcm.Level(GpioRig.RecordingLine), Is.True);
        Assert.That(_rig.Bcm.HasCallback(GpioRig.ButtonLine), Is.True);
    }

    [Test]
    public void TimingsReloadWithoutReopeningTheLines()
    {
        var r = Start();
        r.MakeHealthy();
        r.Health.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded);
        r.Wait(10);
        r.WriteConfig("enabled = true\nboard = \"rpi4\"\nled_blink_interval = 1\nbutton_long_press_ms = 500");
        Assert.That(r.Config.Reload()!.AppliedKeys, Is.EquivalentTo(new[] { "gpio.led_blink_interval", "gpio.button_long_press_ms" }));
        var mark = r.Now;
        r.Wait(3000);
        Assert.That(GpioRig.Toggles(r.Bcm, GpioRig.StatusLine, mark), Is.EqualTo(new[] { 1000.0, 2000, 3000 }), "slow blink at the new interval, restarted lit");
        Assert.That(r.Chips.Opened, Has.Count.EqualTo(1), "same pin map: lines stay open");

        r.Bcm.SetInput(GpioRig.ButtonLine, false);
        r.Wait(600);
        Assert.That(r.WaitForPlans(1).Single().Press, Is.EqualTo(PressKind.Long), "long press after 500 ms now");
    }

    [Test]
    public void ANewBoardMovesTheLedsAndDisablingReleasesEverything()
    {
        var r = Start();
        r.MakeHealthy();
        Assert.That(r.Bcm.Level(GpioRig.StatusLine), Is.True);

        r.WriteConfig("enabled = true\nboard = \"rpi5\"");
        r.Config.Reload();
        r.Settle();
        Assert.That(r.Chips.Opened, Is.EqualTo(new[] { "pinctrl-bcm2711", "pinctrl-rp1" }));
        Assert.That(r.Bcm.Disposed, Is.True, "the old chip is released");
        Assert.That(r.Bcm.Level(GpioRig.StatusLine), Is.False, "and left dark");
        Assert.That(r.Rp1.Level(GpioRig.StatusLine), Is.True, "the new line shows the current state at once");
        Assert.That(r.Health.Get(GpioService.Component)!.Detail, Does.Contain("pinctrl-rp1:17"));

        r.WriteConfig("enabled = false\nboard = \"rpi5\"");
        r.Config.Reload();
        Assert.That(r.Rp1.Disposed, Is.True);
        Assert.That(r.Rp1.Level(GpioRig.StatusLine), Is.False);
        Assert.That(r.Health.Get(GpioService.Component)!.Detail, Does.StartWith("disabled (gpio.enabled = false)"));
        Assert.That(r.Service.Status.Pattern, Is.EqualTo(StatusPattern.Healthy), "still tracked and reported");
    }

    [Test]
    public void WithoutGpioNothingIsOpenedAndLedChangesAreLogged()
    {
        var r = Start("enabled = false");
        r.MakeHealthy();
        r.Service.RecordingChanged(true);
        Assert.That(r.Chips.Opened, Is.Empty);
        Assert.That(r.Health.Get(GpioService.Component)!.State, Is.EqualTo(ComponentState.Running));
        Assert.That(r.Log.At(LogLevel.Information), Has.Some.StartsWith("Status LED healthy (steady on)"));
        Assert.That(r.Log.At(LogLevel.Information), Has.Some.EqualTo("Recording LED on"));
    }

    [Test]
    public void StoppingLeavesEveryLedDarkAndReleasesTheChip()
    {
        var r = Start();
        r.MakeHealthy();
        r.Service.RecordingChanged(true);
        r.Health.Report("websocket_server", ComponentState.Stopped, "shutting down"); // ApplicationStopping
        r.Settle();
        Assert.That((r.Service.Status.Pattern, r.Bcm.Level(GpioRig.StatusLine)), Is.EqualTo((StatusPattern.Off, false)), "dark while recordings are finalised");
        r.Service.Dispose();
        Assert.That(r.Bcm.Disposed, Is.True);
        Assert.That((r.Bcm.Level(GpioRig.StatusLine), r.Bcm.Level(GpioRig.RecordingLine), r.Bcm.Level(GpioRig.ActivityLine)), Is.EqualTo((false, false, false)));
    }
}
