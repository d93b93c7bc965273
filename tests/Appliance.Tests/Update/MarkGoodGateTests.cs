using System.Text.Json;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Gpio;
using Appliance.Health;
using Appliance.MediaMtx;
using Appliance.Processes;
using Appliance.Tests.Support;
using Appliance.Update;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Update;

/// <summary>
/// The mark-good gate with the real pieces around it: the real event hub and health registry, the rauc
/// stand-in as a real process, the real state file, and a fake clock (healthy_after = 120 s passes in
/// no time). Health is reported as the subsystems report it; what the gate does shows up in the
/// stand-in's call log, the state file and the LED events on the hub.
/// </summary>
public sealed class MarkGoodGateTests
{
    private const string MarkGood = "status mark-good booted";

    private sealed class Rig : IAsyncDisposable
    {
        private readonly TestDirectory _dir = new();

        public Rig(bool enabled = true, string? raucPath = null, double fallbackAfter = 0)
        {
            RebootScript = _dir.Write("bin/fake-systemctl", $"#!/bin/sh\necho \"$@\" >> '{_dir.File("reboot-calls")}'\n");
            File.SetUnixFileMode(RebootScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var loaded = ConfigLoader.Load($"""
                [server]
                environment = "development"

                [storage]
                state_dir = "{_dir.File("state")}"

                [update]
                enabled = {(enabled ? "true" : "false")}
                rauc_path = "{raucPath ?? Rauc.Path}"
                healthy_after = 120
                fallback_after = {fallbackAfter}
                reboot_command = "{RebootScript} reboot"
                """, _dir.File("appliance.toml"), new Dictionary<string, string>());
            Assert.That(loaded.IsValid, Is.True, string.Join("\n", loaded.Problems));
            Config = new ConfigStore(loaded.Config!, null, NullLogger.Instance);
            Health = new HealthRegistry(Events);
            Config.ReportHealth(Health);
            Events.On<UpdateIndicatorChanged>("test", u => { lock (Indicators) Indicators.Add(u.Indicator); });
            State = new ConfirmedSlots(_dir.File("state"), NullLogger.Instance);
            var rauc = new RaucClient(() => Config.Current.Update.RaucPath, new ProcessRunner(), NullLogger<RaucClient>.Instance);
            Reboot = new DeviceReboot(Config, new ProcessRunner(), NullLogger<DeviceReboot>.Instance, Clock);
            Gate = new MarkGoodGate(Config, rauc, Health, Events, new UpdateIndicatorState(Events), State, NullLogger<MarkGoodGate>.Instance, Clock, Reboot);
        }

        public RaucStandIn Rauc { get; } = new();
        public string RebootScript { get; }
        public DeviceReboot Reboot { get; }
        public IReadOnlyList<string> RebootCalls => File.Exists(_dir.File("reboot-calls")) ? File.ReadAllLines(_dir.File("reboot-calls")) : [];
        public FakeTimeProvider Clock { get; } = new();
        public EventHub Events { get; } = new();
        public HealthRegistry Health { get; }
        public ConfigStore Config { get; }
        public ConfirmedSlots State { get; }
        public MarkGoodGate Gate { get; }
        public List<UpdateIndicator> Indicators { get; } = [];
        public string StateFile => State.FilePath;

        public IReadOnlyList<UpdateIndicator> IndicatorsSoFar()
        {
            Settle();
            lock (Indicators) return [.. Indicators];
        }

        public void Settle() => Assert.That(Events.Flush(TimeSpan.FromSeconds(5)), Is.True, "event hub flushed");

        /// <summary>Reports like the subsystems do, and lets the hub deliver it to the gate.</summary>
        public void Report(string component, ComponentState state)
        {
            Health.Report(component, state);
            Settle();
        }

        public void MakeHealthy()
        {
            Report("websocket_server", ComponentState.Running);
            Report(MediaMtxHealthMonitor.Component, ComponentState.Running);
        }

        public void Advance(double seconds) => Clock.Advance(TimeSpan.FromSeconds(seconds));

        public int MarkGoodCalls => Rauc.Calls.Count(c => c == MarkGood);
        public int MarkBadCalls => Rauc.Calls.Count(c => c == "status mark-bad booted");

        public async ValueTask DisposeAsync()
        {
            Gate.Dispose();
            if (Gate.Confirmation is { } c) await c.WaitAsync(TimeSpan.FromSeconds(10));
            Events.Dispose();
            Config.Dispose();
            Rauc.Dispose();
            _dir.Dispose();
        }
    }

    [Test]
    public async Task FreshSlotHealthyLongEnoughIsMarkedGoodExactlyOnceAndRecorded()
    {
        await using var rig = new Rig();
        await rig.Gate.StartAsync();
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.Pending));
        Assert.That(rig.Rauc.Calls, Is.EqualTo(new[] { "status --detailed --output-format=json" }), "asked RAUC which slot booted");
        Assert.That(rig.IndicatorsSoFar(), Is.EqualTo(new[] { UpdateIndicator.Pending }), "status LED: update pending");

        rig.MakeHealthy();
        rig.Advance(119);
        Assert.That(rig.Gate.Confirmation, Is.Null, "not before healthy_after");
        Assert.That(rig.Gate.Snapshot().HealthyFor, Is.EqualTo(TimeSpan.FromSeconds(119)));
        rig.Advance(1);
        Assert.That(rig.Gate.Confirmation, Is.Not.Null, "mark-good started at healthy_after");
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        rig.Advance(1000); // nothing more happens however long it stays healthy

        Assert.That(rig.MarkGoodCalls, Is.EqualTo(1));
        var snapshot = rig.Gate.Snapshot();
        Assert.That(snapshot.State, Is.EqualTo(GateState.Confirmed));
        Assert.That(snapshot.PendingConfirmation, Is.False);
        Assert.That(snapshot.ConfirmedAt, Does.StartWith(rig.Clock.GetUtcNow().AddSeconds(-1000).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss")));

        using var state = JsonDocument.Parse(File.ReadAllText(rig.StateFile));
        var slot = state.RootElement.GetProperty("slots").GetProperty("rootfs.1");
        Assert.That(slot.GetProperty("version").GetString(), Is.EqualTo("2.0.0"));
        Assert.That(slot.GetProperty("installed_at").GetString(), Is.EqualTo("2026-05-01T10:00:00Z"));
        Assert.That(slot.GetProperty("confirmed_at").GetString(), Is.EqualTo(snapshot.ConfirmedAt));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(rig.StateFile)!, "*.tmp"), Is.Empty, "atomic write left no temp file");

        // "Update confirmed" shows for a while, then the LED goes back to normal.
        Assert.That(rig.IndicatorsSoFar(), Is.EqualTo(new[] { UpdateIndicator.Pending, UpdateIndicator.Confirmed, UpdateIndicator.None }),
            "pending, confirmed, and back to normal after the 60 s (the clock moved on 1000 s)");
    }

    [Test]
    public async Task ConfirmedLedLastsSixtySeconds()
    {
        await using var rig = new Rig();
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(120);
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.IndicatorsSoFar(), Is.EqualTo(new[] { UpdateIndicator.Pending, UpdateIndicator.Confirmed }));
        rig.Advance(59);
        Assert.That(rig.IndicatorsSoFar().Last(), Is.EqualTo(UpdateIndicator.Confirmed));
        rig.Advance(1);
        Assert.That(rig.IndicatorsSoFar().Last(), Is.EqualTo(UpdateIndicator.None));
    }

    [Test]
    public async Task NeverHealthyInTimeIsNeverMarkedGood()
    {
        await using var rig = new Rig();
        await rig.Gate.StartAsync();
        // The API serves, but MediaMTX never answers.
        rig.Report("websocket_server", ComponentState.Running);
        rig.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded);
        rig.Advance(3600);
        Assert.That(rig.Gate.Confirmation, Is.Null);
        Assert.That(rig.MarkGoodCalls, Is.Zero);
        Assert.That(rig.Gate.Snapshot().PendingConfirmation, Is.True);
        Assert.That(rig.Gate.Snapshot().HealthyFor, Is.EqualTo(TimeSpan.Zero));
        Assert.That(File.Exists(rig.StateFile), Is.False, "nothing recorded as confirmed");
    }

    [Test]
    public async Task NotMarkedGoodByFallbackAfterIsMarkedBadAndTheDeviceReboots()
    {
        await using var rig = new Rig(fallbackAfter: 600);
        await rig.Gate.StartAsync();
        rig.Report("websocket_server", ComponentState.Running);
        rig.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded); // the new slot's media server never comes up
        rig.Advance(599);
        Assert.That(rig.Gate.Fallback, Is.Null, "not before fallback_after");
        rig.Advance(1);
        Assert.That(rig.Gate.Fallback, Is.Not.Null);
        await rig.Gate.Fallback!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkBadCalls, Is.EqualTo(1));
        Assert.That(rig.MarkGoodCalls, Is.Zero);
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.FallingBack));
        Assert.That(rig.Gate.Snapshot().Error, Does.Contain("marked bad"));

        // Healthy now is too late: it stays fallen back.
        rig.Report(MediaMtxHealthMonitor.Component, ComponentState.Running);
        rig.Advance(3); // the reboot's delay
        await Faults.Poll.UntilAsync(() => rig.RebootCalls.Count > 0, "the reboot command ran", 10);
        Assert.That(rig.RebootCalls, Is.EqualTo(new[] { "reboot" }));
        rig.Advance(600);
        Assert.That(rig.MarkGoodCalls, Is.Zero);
    }

    [Test]
    public async Task ADeadlineThatPassesWhileMarkGoodRunsFallsBackIfThatAttemptFails()
    {
        await using var rig = new Rig(fallbackAfter: 130);
        await rig.Gate.StartAsync();
        rig.Rauc.HoldMarkGood = true;
        rig.Rauc.FailMarkGood = true;
        rig.MakeHealthy();
        rig.Advance(120);
        Assert.That(rig.Gate.Confirmation, Is.Not.Null, "mark-good in flight");
        rig.Advance(10); // fallback_after passes while it runs
        Assert.That(rig.Gate.Fallback, Is.Null, "that attempt decides");
        rig.Rauc.HoldMarkGood = false;
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(rig.Gate.Fallback, Is.Not.Null, "it failed: fall back now, not at the next retry");
        await rig.Gate.Fallback!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkBadCalls, Is.EqualTo(1));
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.FallingBack));
    }

    [Test]
    public async Task MarkedGoodBeforeTheDeadlineNeverFallsBack()
    {
        await using var rig = new Rig(fallbackAfter: 600);
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(120);
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        rig.Advance(2000);
        Assert.That(rig.Gate.Fallback, Is.Null);
        Assert.That(rig.MarkBadCalls, Is.Zero);
        Assert.That(rig.RebootCalls, Is.Empty);
    }

    [Test]
    public async Task FallbackAfterZeroLeavesItToTheBootloader()
    {
        await using var rig = new Rig(fallbackAfter: 0);
        await rig.Gate.StartAsync();
        rig.Advance(86400);
        Assert.That(rig.Gate.Fallback, Is.Null);
        Assert.That(rig.MarkBadCalls, Is.Zero);
        Assert.That(rig.Gate.Snapshot().PendingConfirmation, Is.True);
    }

    [Test]
    public async Task RejectedConfigCountsAsUnhealthy()
    {
        await using var rig = new Rig();
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Report(ConfigStore.HealthComponent, ComponentState.Failed);
        rig.Advance(600);
        Assert.That(rig.MarkGoodCalls, Is.Zero);
        Assert.That(rig.Gate.Confirmation, Is.Null);
    }

    [Test]
    public async Task AnUnhealthyMomentRestartsTheClock()
    {
        await using var rig = new Rig();
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(100);
        rig.Report(MediaMtxHealthMonitor.Component, ComponentState.Degraded); // circuit opened for a moment
        rig.Advance(1);
        rig.Report(MediaMtxHealthMonitor.Component, ComponentState.Running);
        rig.Advance(100); // 201 s since start, but only 100 s of continuous health
        Assert.That(rig.Gate.Confirmation, Is.Null, "the clock restarted at the unhealthy moment");
        Assert.That(rig.Gate.Snapshot().HealthyFor, Is.EqualTo(TimeSpan.FromSeconds(100)));

        rig.Report("websocket_server", ComponentState.Degraded);
        rig.Report("websocket_server", ComponentState.Running);
        rig.Advance(119);
        Assert.That(rig.Gate.Confirmation, Is.Null, "and again");
        rig.Advance(1);
        Assert.That(rig.Gate.Confirmation, Is.Not.Null);
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkGoodCalls, Is.EqualTo(1));
    }

    [Test]
    public async Task HealthyBeforeRaucAnsweredCountsFromTheHealthyMoment()
    {
        await using var rig = new Rig();
        rig.MakeHealthy();
        rig.Advance(150); // healthy for longer than healthy_after before the gate knew the slot was fresh
        await rig.Gate.StartAsync();
        Assert.That(rig.Gate.Confirmation, Is.Not.Null, "already healthy long enough: confirmed at once");
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkGoodCalls, Is.EqualTo(1));
    }

    [Test]
    public async Task AlreadyConfirmedSlotIsLeftAloneWithoutPendingLed()
    {
        await using var rig = new Rig();
        // What an earlier run wrote after confirming this very installation.
        Directory.CreateDirectory(Path.GetDirectoryName(rig.StateFile)!);
        File.WriteAllText(rig.StateFile, """
            {"slots": {"rootfs.1": {"version": "2.0.0", "installed_at": "2026-05-01T10:00:00Z", "installed_count": 2, "confirmed_at": "2026-05-01T10:05:00.000Z"}}}
            """);
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(1000);

        Assert.That(rig.MarkGoodCalls, Is.Zero);
        Assert.That(rig.Gate.Confirmation, Is.Null);
        var snapshot = rig.Gate.Snapshot();
        Assert.That(snapshot.State, Is.EqualTo(GateState.AlreadyConfirmed));
        Assert.That(snapshot.PendingConfirmation, Is.False);
        Assert.That(snapshot.ConfirmedAt, Is.EqualTo("2026-05-01T10:05:00.000Z"));
        Assert.That(rig.IndicatorsSoFar(), Is.Empty, "no update pending on the LED");
    }

    [Test]
    public async Task ANewInstallationIntoAConfirmedSlotIsFreshAgain()
    {
        await using var rig = new Rig();
        Directory.CreateDirectory(Path.GetDirectoryName(rig.StateFile)!);
        File.WriteAllText(rig.StateFile, """
            {"slots": {"rootfs.1": {"version": "2.0.0", "installed_at": "2026-03-01T09:00:00Z", "installed_count": 1, "confirmed_at": "2026-03-01T09:05:00.000Z"}}}
            """);
        await rig.Gate.StartAsync(); // the stand-in says rootfs.1 was installed again on 2026-05-01
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.Pending));
        Assert.That(rig.IndicatorsSoFar(), Is.EqualTo(new[] { UpdateIndicator.Pending }));
    }

    [Test]
    public async Task FailedMarkGoodIsRetriedWhileHealthy()
    {
        await using var rig = new Rig();
        rig.Rauc.FailMarkGood = true;
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(120);
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkGoodCalls, Is.EqualTo(1));
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.Pending), "still pending after RAUC refused");
        Assert.That(rig.Gate.Snapshot().Error, Does.Contain("Failed to mark slot"), "RAUC's own words");
        Assert.That(File.Exists(rig.StateFile), Is.False);

        rig.Rauc.FailMarkGood = false;
        var first = rig.Gate.Confirmation;
        rig.Advance(MarkGoodGate.RetryAfter.TotalSeconds);
        Assert.That(rig.Gate.Confirmation, Is.Not.SameAs(first), "retried");
        await rig.Gate.Confirmation!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(rig.MarkGoodCalls, Is.EqualTo(2));
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.Confirmed));
        Assert.That(File.Exists(rig.StateFile), Is.True);
    }

    [Test]
    public async Task DisabledGateDoesNothing()
    {
        await using var rig = new Rig(enabled: false);
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(1000);
        Assert.That(rig.Rauc.Calls, Is.Empty, "rauc never run");
        Assert.That(rig.Gate.Snapshot().State, Is.EqualTo(GateState.Disabled));
        Assert.That(rig.IndicatorsSoFar(), Is.Empty);
    }

    [Test]
    public async Task MissingRaucIsAClearErrorAndNothingIsMarked()
    {
        await using var rig = new Rig(raucPath: "/nonexistent/bin/rauc");
        await rig.Gate.StartAsync();
        rig.MakeHealthy();
        rig.Advance(1000);
        var snapshot = rig.Gate.Snapshot();
        Assert.That(snapshot.State, Is.EqualTo(GateState.Unavailable));
        Assert.That(snapshot.Error, Does.Contain("rauc not found at '/nonexistent/bin/rauc'"));
        Assert.That(rig.Gate.Confirmation, Is.Null);
        Assert.That(rig.IndicatorsSoFar(), Is.Empty);
    }
}
