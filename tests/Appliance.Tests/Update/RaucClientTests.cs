using System.Diagnostics;
using Appliance.Processes;
using Appliance.Update;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Update;

/// <summary>The rauc CLI client against the stand-in (a real process): parsing RAUC's status JSON and
/// progress lines, errors in RAUC's words, and stopping a command that is cancelled.</summary>
public sealed class RaucClientTests
{
    private static RaucClient Client(string path) => new(() => path, new ProcessRunner(), NullLogger<RaucClient>.Instance);

    [TestCase("  0% Installing", 0, "Installing")]
    [TestCase(" 20% Checking bundle", 20, "Checking bundle")]
    [TestCase("100% Installing done.", 100, "Installing done.")]
    [TestCase(" 40% ", 40, "")]
    public void ProgressLinesAreParsed(string line, int percent, string message)
    {
        Assert.That(RaucProgressLine.TryParse(line, out var p), Is.True);
        Assert.That(p, Is.EqualTo(new RaucProgressLine(percent, message)));
    }

    [TestCase("installing")]
    [TestCase("LastError: Failed to check bundle")]
    [TestCase("Installing `/data/x.raucb` succeeded")]
    [TestCase("101% too much")]
    [TestCase("%")]
    [TestCase("")]
    public void OtherLinesAreNotProgress(string line) => Assert.That(RaucProgressLine.TryParse(line, out _), Is.False);

    [Test]
    public async Task StatusIsReadFromRaucsJson()
    {
        using var rauc = new RaucStandIn();
        var status = await Client(rauc.Path).GetStatusAsync();
        Assert.That(status.Compatible, Is.EqualTo("camera-appliance-test"));
        Assert.That(status.Variant, Is.EqualTo("rpi4"));
        Assert.That(status.Booted, Is.EqualTo("B"));
        Assert.That(status.BootPrimary, Is.EqualTo("rootfs.1"));
        Assert.That(status.Slots.Select(s => s.Name), Is.EqualTo(new[] { "rootfs.0", "rootfs.1" }));
        Assert.That(status.BootedSlot, Is.EqualTo(new RaucSlot("rootfs.1", "rootfs", "B", "booted", "good", "2.0.0", "2026-05-01T10:00:00Z", 2, "camera-appliance-test")));
        Assert.That(rauc.Calls, Is.EqualTo(new[] { "status --detailed --output-format=json" }));
    }

    [Test]
    public void BootedSlotFallsBackToRaucsBootedBootname()
    {
        // Without --detailed and without a slot in state "booted" (older RAUC), "booted" names the bootname.
        var status = RaucStatus.Parse("""
            {"compatible":"c","variant":null,"booted":"A","boot_primary":null,"slots":[
             {"rootfs.1":{"class":"rootfs","device":"/dev/b","type":"ext4","bootname":"B","state":"inactive","boot_status":"bad"}},
             {"rootfs.0":{"class":"rootfs","device":"/dev/a","type":"ext4","bootname":"A","state":"active","boot_status":"good"}}]}
            """);
        Assert.That(status.BootedSlot?.Name, Is.EqualTo("rootfs.0"));
        Assert.That(status.BootedSlot?.Version, Is.Null, "no slot_status without --detailed");
        Assert.That(status.Slots.Single(s => s.Name == "rootfs.1").BootStatus, Is.EqualTo("bad"));
    }

    [Test]
    public async Task GarbageInsteadOfJsonIsAClearError()
    {
        using var rauc = new RaucStandIn { StatusJson = "rauc: json support is disabled" };
        var e = await Assert.ThrowsAsync<RaucException>(() => Client(rauc.Path).GetStatusAsync());
        Assert.That(e!.Message, Does.Contain("not its JSON status").And.Contain("json support is disabled"));
    }

    [Test]
    public async Task MissingRaucIsAClearError()
    {
        var e = await Assert.ThrowsAsync<RaucNotFoundException>(() => Client("/nonexistent/rauc").GetStatusAsync());
        Assert.That(e!.Message, Is.EqualTo("rauc not found at '/nonexistent/rauc': install RAUC on the image or set update.rauc_path"));
    }

    [Test]
    public async Task FailedMarkGoodCarriesRaucsStderr()
    {
        using var rauc = new RaucStandIn { FailMarkGood = true };
        var e = await Assert.ThrowsAsync<RaucFailedException>(() => Client(rauc.Path).MarkGoodBootedAsync());
        Assert.That(e!.ExitCode, Is.EqualTo(1));
        Assert.That(e.Message, Is.EqualTo("Failed to mark slot: D-Bus error"));
    }

    [Test]
    public async Task CancellingAnInstallStopsTheCliPromptly()
    {
        using var rauc = new RaucStandIn();
        rauc.HoldInstall(); // the stand-in would wait 20 s
        using var cancel = new CancellationTokenSource();
        var progress = new List<RaucProgressLine>();
        var install = Client(rauc.Path).InstallAsync("/data/x.raucb", progress.Add, cancel.Token);
        await Task.Delay(300);
        var watch = Stopwatch.StartNew();
        cancel.Cancel();
        Assert.That(async () => await install, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "killed, not waited for");
        Assert.That(progress, Is.Empty);
        Assert.That(rauc.Calls, Is.EqualTo(new[] { "install /data/x.raucb" }));
    }
}
