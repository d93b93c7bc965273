using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Gpio;
using Appliance.Health;
using Appliance.MediaMtx;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NSubstitute;

namespace Appliance.Tests.Gpio;

/// <summary>
/// A GpioService on fake gpiochips (FakeGpioDriver) and a fake clock, with the real config store
/// (reloading a real file), health registry and camera registry. Button actions are substituted:
/// what a press does to cameras is tested over the real host (GpioHostTests, Vm/GpioSimTests).
/// </summary>
public sealed class GpioRig : IDisposable
{
    public const int StatusLine = 17, RecordingLine = 27, ActivityLine = 22, ButtonLine = 23;

    private readonly TestDirectory _dir = new();

    public GpioRig(string gpioToml = "enabled = true\nboard = \"rpi4\"", bool withChips = true)
    {
        Bcm = new FakeGpioDriver(Clock);
        Rp1 = new FakeGpioDriver(Clock);
        Chips = new FakeChipOpener(withChips ? new() { ["pinctrl-bcm2711"] = Bcm, ["pinctrl-rp1"] = Rp1 } : new());
        WriteConfig(gpioToml);
        Config = new ConfigStore(Load().Config!, ConfigPath, NullLogger.Instance, Load);
        Actions.Plan(Arg.Any<string>(), Arg.Any<PressKind>()).Returns(c =>
            new ButtonPlan(c.ArgAt<string>(0), c.ArgAt<PressKind>(1), c.ArgAt<PressKind>(1) == PressKind.Short ? "snapshot" : "start_recording",
                [Cameras.FakeCameras.Make("/dev/video0", "cam0")]));
        Actions.ExecuteAsync(Arg.Any<ButtonPlan>(), Arg.Any<CancellationToken>())
            .Returns(Task.FromResult<IReadOnlyList<DeviceOutcome>>([new DeviceOutcome("/dev/video0", true, "camera0_snapshot.jpg", null)]));
        Health = new HealthRegistry(Events);
        Registry = new CameraRegistry(Events);
        Config.ReportHealth(Health);
        Service = new GpioService(Config, Health, Registry, Events, Actions, Chips, Log, Clock);
        Events.On<ButtonPressed>("rig", p => { lock (Plans) Plans.Add(p.Plan); });
    }

    /// <summary>Events reach the LEDs through the hub's dispatch loop: wait until what was published so far has arrived.</summary>
    public void Settle() => Assert.That(Events.Flush(TimeSpan.FromSeconds(5)), Is.True, "event hub flushed");

    public FakeTimeProvider Clock { get; } = new();
    public FakeGpioDriver Bcm { get; }
    public FakeGpioDriver Rp1 { get; }
    public FakeChipOpener Chips { get; }
    public EventHub Events { get; } = new();
    public HealthRegistry Health { get; }
    public CameraRegistry Registry { get; }
    public IButtonActions Actions { get; } = Substitute.For<IButtonActions>();
    public ListLogger<GpioService> Log { get; } = new();
    public ConfigStore Config { get; }
    public GpioService Service { get; }
    public List<ButtonPlan> Plans { get; } = [];
    public string ConfigPath => _dir.File("appliance.toml");

    public void WriteConfig(string gpioToml) => _dir.Write("appliance.toml", $"[server]\nenvironment = \"development\"\n\n[gpio]\n{gpioToml}\n");

    private ConfigLoadResult Load() => ConfigLoader.LoadFile(ConfigPath, new Dictionary<string, string>());

    /// <summary>Everything up: API serving, MediaMTX healthy, one camera.</summary>
    public void MakeHealthy()
    {
        Health.Report("websocket_server", ComponentState.Running);
        Health.Report(MediaMtxHealthMonitor.Component, ComponentState.Running);
        Registry.Set(Cameras.FakeCameras.Make("/dev/video0", "cam0"));
        Settle();
    }

    /// <summary>Lets the hub deliver what was published, then moves the fake clock on.</summary>
    public void Wait(double ms, double stepMs = 5)
    {
        Settle();
        for (var t = 0.0; t < ms; t += stepMs) Clock.Advance(TimeSpan.FromMilliseconds(stepMs));
    }

    /// <summary>Times (ms since the mark) at which the line changed, from <paramref name="since"/> on.</summary>
    public static List<double> Toggles(FakeGpioDriver chip, int line, TimeSpan since) =>
        [.. chip.WritesTo(line).Where(w => w.At >= since).Select(w => (w.At - since).TotalMilliseconds)];

    public TimeSpan Now => Clock.GetUtcNow() - Clock.Start;

    /// <summary>Presses are handled on the service's own worker: wait (real time) until they arrived.</summary>
    public List<ButtonPlan> WaitForPlans(int count, double seconds = 5)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            lock (Plans) if (Plans.Count >= count) break;
            Thread.Sleep(5);
        }
        lock (Plans) return [.. Plans];
    }

    public void Dispose()
    {
        Service.Dispose();
        Events.Dispose();
        Config.Dispose();
        _dir.Dispose();
    }
}
