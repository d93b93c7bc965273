using Appliance.Configuration;
using Appliance.Resources;

namespace Appliance.Tests.Resources;

/// <summary>The resource guard's limits, checked against a fake /proc (files in the kernel's own
/// layout: stat, meminfo, pressure/cpu) and against this machine's real /proc.</summary>
public class ResourceGuardTests
{
    private string _proc = "";

    [SetUp]
    public void SetUp()
    {
        _proc = Directory.CreateTempSubdirectory("fakeproc").FullName;
        Directory.CreateDirectory(Path.Combine(_proc, "pressure"));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_proc, recursive: true);

    // /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice (ticks).
    private void Cpu(long busy, long idle) =>
        File.WriteAllText(Path.Combine(_proc, "stat"), $"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n");

    private void Memory(long availableKb) =>
        File.WriteAllText(Path.Combine(_proc, "meminfo"), $"MemTotal:       24000000 kB\nMemFree:         1000 kB\nMemAvailable:   {availableKb} kB\n");

    private void Pressure(double avg10) =>
        File.WriteAllText(Path.Combine(_proc, "pressure", "cpu"), $"some avg10={avg10:0.00} avg60=1.00 avg300=0.50 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");

    private static readonly ResourcesSection Limits = new() { MaxCpuPressure = 90, TranscodeMaxCpuPercent = 50, MinMemoryMb = 64 };

    /// <summary>A guard call with /proc/stat moving from (busy0, idle0) to (busy1, idle1) inside its measuring window.</summary>
    private async Task Admit(ResourceGuard guard, bool transcode, (long Busy, long Idle) before, (long Busy, long Idle) after)
    {
        Cpu(before.Busy, before.Idle);
        var check = guard.EnsureRoomForRecordingAsync(transcode, CancellationToken.None);
        Cpu(after.Busy, after.Idle); // written while the window runs: the second reading sees it
        await check.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Test]
    public async Task ReadingsFollowTheKernelsFormats()
    {
        Memory(300 * 1024);
        Pressure(12.34);
        var load = new MachineLoad(_proc);
        Assert.That(load.MemoryAvailableMb(), Is.EqualTo(300));
        Assert.That(load.CpuPressurePercent(), Is.EqualTo(12.34).Within(0.001));
        Cpu(1000, 1000);
        var busy = load.CpuBusyPercentAsync(CancellationToken.None);
        Cpu(1075, 1025);
        Assert.That(await busy.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(75).Within(0.01));
    }

    [Test]
    public async Task ACopyRecordingIsRefusedOnlyWhenTasksStarveNamingTheKey()
    {
        Memory(1024 * 1024);
        var guard = new ResourceGuard(() => Limits, new MachineLoad(_proc));

        Pressure(60); // busy, but nobody starves for long: a copy costs next to nothing
        await Admit(guard, transcode: false, (0, 0), (100, 0));

        Pressure(95);
        var refused = await Assert.ThrowsAsync<ResourceLimitException>(() => Admit(guard, transcode: false, (0, 0), (0, 100)));
        Assert.That(refused!.Limit, Is.EqualTo("resources.max_cpu_pressure"));
        Assert.That(refused.Message, Is.EqualTo("tasks waited for a CPU 95 % of the last 10 s (resources.max_cpu_pressure = 90)"));
    }

    [Test]
    public async Task ATranscodeNeedsIdleCpuBesidesLowPressure()
    {
        Memory(1024 * 1024);
        Pressure(5);
        var guard = new ResourceGuard(() => Limits, new MachineLoad(_proc));
        await Admit(guard, transcode: true, (0, 0), (40, 60)); // 40 % busy: room for a transcode

        var refused = await Assert.ThrowsAsync<ResourceLimitException>(() => Admit(new ResourceGuard(() => Limits, new MachineLoad(_proc)), transcode: true, (0, 0), (80, 20)));
        Assert.That(refused!.Limit, Is.EqualTo("resources.transcode_max_cpu_percent"));
        Assert.That(refused.Message, Does.StartWith("the CPUs are 80 % busy (resources.transcode_max_cpu_percent = 50)").And.Contain("codec \"copy\""));
        // The same box still takes a copy recording.
        await Admit(new ResourceGuard(() => Limits, new MachineLoad(_proc)), transcode: false, (0, 0), (80, 20));
    }

    [Test]
    public void LowMemoryRefusesEvenAnIdleBoxNamingTheKey()
    {
        var problem = ResourceGuard.Check(Limits, new MachineLoadSample(CpuPressurePercent: 0, CpuBusyPercent: 1, MemoryAvailableMb: 40), transcode: false);
        Assert.That(problem?.Limit, Is.EqualTo("resources.min_memory_mb"));
        Assert.That(problem!.Message, Is.EqualTo("only 40 MiB of memory available (resources.min_memory_mb = 64)"));
        Assert.That(ResourceGuard.Check(Limits, new MachineLoadSample(0, 1, 64), transcode: true), Is.Null, "exactly the minimum is enough");
    }

    [Test]
    public void LiveLimitsApplyAtTheNextCheck()
    {
        var limits = new ResourcesSection { MaxCpuPressure = 90 };
        var now = new MachineLoadSample(CpuPressurePercent: 70, CpuBusyPercent: null, MemoryAvailableMb: 1000);
        Assert.That(ResourceGuard.Check(limits, now, transcode: false), Is.Null);
        limits.MaxCpuPressure = 50; // what a reload of resources.max_cpu_pressure does
        Assert.That(ResourceGuard.Check(limits, now, transcode: false)?.Limit, Is.EqualTo("resources.max_cpu_pressure"));
        limits.MaxCpuPressure = 100;
        Assert.That(ResourceGuard.Check(limits, now with { CpuPressurePercent = 100 }, transcode: false), Is.Null, "100 never refuses for CPU");
    }

    [Test]
    public async Task CallersAtTheSameMomentShareOneWindowAndARecentReadingIsMeasuredAgainst()
    {
        Cpu(0, 0);
        var load = new MachineLoad(_proc);
        var a = load.CpuBusyPercentAsync(CancellationToken.None);
        var b = load.CpuBusyPercentAsync(CancellationToken.None);
        Cpu(50, 50);
        Assert.That((await a, await b), Is.EqualTo((50.0, 50.0)));

        // A reading one window to five seconds old describes "now" well enough: the answer is the
        // share since then, at once (no new window).
        await Task.Delay(MachineLoad.Window + TimeSpan.FromMilliseconds(50));
        Cpu(60, 140);
        var next = load.CpuBusyPercentAsync(CancellationToken.None);
        Assert.That(next.IsCompleted, Is.True, "answered from the previous reading");
        Assert.That(await next, Is.EqualTo(10), "10 busy ticks of 100 since the previous reading");
    }

    [Test]
    public async Task WithoutProcTheGuardAdmitsRatherThanGuess()
    {
        var load = new MachineLoad(Path.Combine(_proc, "missing"));
        Assert.That(load.CpuPressurePercent(), Is.Null);
        Assert.That(load.MemoryAvailableMb(), Is.EqualTo(long.MaxValue));
        Assert.That(await load.CpuBusyPercentAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)), Is.Zero);
        await new ResourceGuard(() => Limits, load).EnsureRoomForRecordingAsync(transcode: true, CancellationToken.None);
    }

    [Test]
    public async Task ThisMachinesRealProcGivesPlausibleReadings()
    {
        var load = new MachineLoad();
        Assert.That(await load.CpuBusyPercentAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)), Is.InRange(0, 100));
        var totalKb = long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.That(load.MemoryAvailableMb(), Is.GreaterThan(0).And.LessThanOrEqualTo(totalKb / 1024));
        if (File.Exists("/proc/pressure/cpu")) Assert.That(load.CpuPressurePercent(), Is.InRange(0, 100));
        else Assert.That(load.CpuPressurePercent(), Is.Null);
    }
}
