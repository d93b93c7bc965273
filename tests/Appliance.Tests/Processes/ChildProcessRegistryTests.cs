using Appliance.Processes;

namespace Appliance.Tests.Processes;

/// <summary>Crash recovery: children recorded on disk, leftovers of a previous run reaped, nothing else touched.</summary>
public class ChildProcessRegistryTests : ProcessTestBase
{
    private string StateDir => Dir.File("state");

    private static ChildProcessOptions Quick => Quitting(quit: 0.2, terminate: 0.5);

    [Test]
    public async Task AChildIsRecordedWhileItRunsAndForgottenWhenItEnds()
    {
        var registry = new ChildProcessRegistry(StateDir);
        using var process = ChildProcess.Start("sleep", ["30"], Quick);
        registry.Track(process);

        var record = ChildProcessRegistry.ReadFile(registry.FilePath).Single();
        Assert.That(ProcFs.TryReadStat(process.Pid, out var stat), Is.True);
        Assert.That(record, Is.EqualTo(new ChildProcessRecord(process.Pid, process.Pid, process.Program, stat.StartTime, ProcFs.BootId(), record.StartedAt)));
        Assert.That(File.ReadAllText(registry.FilePath), Does.Contain("\"process_group\""), "snake_case on disk");

        await process.StopAsync();
        Assert.That(Eventually(() => ChildProcessRegistry.ReadFile(registry.FilePath).Count == 0, TimeSpan.FromSeconds(3)), Is.True);
        AssertGone(process.Pid);
    }

    [Test]
    public async Task ReapLeftoversKillsTheGroupsAPreviousRunLeftBehind()
    {
        // The "previous run": starts a group (a script ignoring SIGTERM, with a child), records it, and is gone.
        var childPidFile = Dir.File("child.pid");
        var script = Script("stubborn.sh", "trap '' TERM INT\nsleep 60 &\necho $! > \"$1\"\nwait");
        using var leftover = ChildProcess.Start(script, [childPidFile], Quick);
        new ChildProcessRegistry(StateDir).Track(leftover);
        var child = ReadPidFile(childPidFile);

        // The next run, over the same state file.
        var registry = new ChildProcessRegistry(StateDir);
        var reaped = registry.ReapLeftovers(grace: TimeSpan.FromMilliseconds(300));

        Assert.That(reaped.Select(r => r.Pid), Is.EqualTo(new[] { leftover.Pid }));
        Assert.That(await leftover.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(128 + 9), "ignored SIGTERM, so SIGKILLed");
        AssertGone(leftover.Pid);
        AssertDead(child);
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Is.Empty, "file cleared");
    }

    [Test]
    public void ReapLeftoversSparesAProcessThatMerelyHasARecordedPid()
    {
        // A live process, leading its own group, whose PID appears in records that do not describe it.
        using var bystander = ChildProcess.Start("sleep", ["30"], Quick);
        WaitForExec(bystander);
        var start = bystander.StartTime!.Value;
        var pid = bystander.Pid;
        var boot = ProcFs.BootId();
        ChildProcessRecord[] records =
        [
            new(pid, pid, bystander.Program, start + 1, boot, DateTimeOffset.UtcNow),       // PID reused: other start time
            new(pid, pid, "/usr/bin/ffmpeg", start, boot, DateTimeOffset.UtcNow),             // another program
            new(pid, pid, bystander.Program, start, "another-boot", DateTimeOffset.UtcNow),   // another boot
            new(pid, 1, bystander.Program, start, boot, DateTimeOffset.UtcNow),               // a group we never signal
        ];
        ChildProcessRegistry.WriteFile(Path.Combine(StateDir, ChildProcessRegistry.FileName), records);
        var registry = new ChildProcessRegistry(StateDir);

        var why = records.Select(r => registry.StillOurs(r, out var reason) ? "ours" : reason).ToArray();
        Assert.That(why, Is.EqualTo(new[]
        {
            "PID reused by a process started at another time", "PID now runs another program", "recorded in another boot", "not a group we would signal",
        }));
        // The same process, correctly described, would be reaped: the checks above are what spares it.
        Assert.That(registry.StillOurs(records[0] with { StartTime = start }, out _), Is.True);

        var reaped = registry.ReapLeftovers(grace: TimeSpan.Zero);

        Assert.That(reaped, Is.Empty);
        Thread.Sleep(100);
        Assert.That(ProcFs.IsAlive(pid), Is.True, "bystander untouched");
        Assert.That(bystander.HasExited, Is.False);
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Is.Empty, "stale records dropped");

        bystander.Dispose();
        AssertGone(pid);
    }

    [Test]
    public async Task StopAllStopsEveryChildAtShutdown()
    {
        var registry = new ChildProcessRegistry(StateDir);
        using var a = ChildProcess.Start("sleep", ["30"], Quick);
        using var b = ChildProcess.Start("ffmpeg", ["-hide_banner", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "null", "-"], Quick);
        registry.Track(a);
        registry.Track(b);
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Has.Count.EqualTo(2));

        await registry.StopAllAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(a.HasExited && b.HasExited, Is.True);
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Is.Empty);
        AssertGone(a.Pid);
        AssertGone(b.Pid);
    }

    [Test]
    public async Task LeftoversRecordedUnderTheOldFileNameAreReapedAndTheOldFileRemoved()
    {
        // A box updated over the air: the previous version crashed with its children in ffmpeg-children.json.
        using var leftover = ChildProcess.Start("sleep", ["60"], Quick);
        WaitForExec(leftover);
        var legacy = Path.Combine(StateDir, ChildProcessRegistry.LegacyFileName);
        ChildProcessRegistry.WriteFile(legacy, [new(leftover.Pid, leftover.Pid, leftover.Program, leftover.StartTime!.Value, ProcFs.BootId(), DateTimeOffset.UtcNow)]);

        var registry = new ChildProcessRegistry(StateDir);
        var reaped = registry.ReapLeftovers(grace: TimeSpan.FromSeconds(2));

        Assert.That(reaped.Select(r => r.Pid), Is.EqualTo(new[] { leftover.Pid }));
        Assert.That(await leftover.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(128 + 15), "SIGTERM was enough");
        Assert.That(File.Exists(legacy), Is.False, "old file removed");
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Is.Empty);
        AssertGone(leftover.Pid);
    }

    [Test]
    public async Task ChildrenStartedByTheRunnerAreRecordedAndTheirSlotHeldUntilTheyExit()
    {
        var registry = new ChildProcessRegistry(StateDir);
        var runner = new ProcessRunner(registry);
        var slots = new ProcessSlots(() => 1);
        Assert.That(await slots.TryAcquireAsync(TimeSpan.Zero, CancellationToken.None), Is.True);

        using var process = runner.Start("sleep", ["30"], Quick, heldSlot: slots);

        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath).Select(r => r.Pid), Is.EqualTo(new[] { process.Pid }));
        Assert.That(slots.Running, Is.EqualTo(1));
        Assert.That(await slots.TryAcquireAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None), Is.False, "the slot is still held");
        await process.StopAsync();
        Assert.That(Eventually(() => slots.Running == 0, TimeSpan.FromSeconds(3)), Is.True, "released at the exit");
        Assert.That(Eventually(() => ChildProcessRegistry.ReadFile(registry.FilePath).Count == 0, TimeSpan.FromSeconds(3)), Is.True);
        AssertGone(process.Pid);
    }

    [Test]
    public async Task AHeldSlotIsGivenBackWhenTheStartFails()
    {
        var slots = new ProcessSlots(() => 1);
        Assert.That(await slots.TryAcquireAsync(TimeSpan.Zero, CancellationToken.None), Is.True);
        Assert.Throws<ExecutableNotFoundException>(() => new ProcessRunner().Start("/nonexistent/program", [], new ChildProcessOptions(), heldSlot: slots));
        Assert.That(slots.Running, Is.Zero);
    }

    [Test]
    public void AnUnreadableStateFileKillsNothingAndIsReplaced()
    {
        Directory.CreateDirectory(StateDir);
        var file = Path.Combine(StateDir, ChildProcessRegistry.FileName);
        File.WriteAllText(file, "{ not json");

        Assert.That(new ChildProcessRegistry(StateDir).ReapLeftovers(TimeSpan.Zero), Is.Empty);
        Assert.That(ChildProcessRegistry.ReadFile(file), Is.Empty);
    }
}
