using System.Diagnostics;
using Appliance.Processes;

namespace Appliance.Tests.Processes;

/// <summary>The stop ladder: 'q' → SIGTERM to the group → SIGKILL to the group, against real processes.</summary>
public class ChildProcessStopTests : ProcessTestBase
{
    // Real time (-re) and tiny frames: an endless FFmpeg that costs next to no CPU.
    private static readonly string[] EndlessFfmpeg = ["-hide_banner", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "null", "-"];

    // Ignores 'q' (never reads stdin), SIGTERM and SIGINT; so does its background sleep, which
    // inherits the ignored dispositions. Only a group SIGKILL ends both.
    private string Stubborn() => Script("stubborn.sh", """
        trap '' TERM INT
        sleep 60 &
        echo $! > "$1"
        echo "ignoring TERM and INT" >&2
        wait
        """);

    [Test]
    public async Task QStopsARealFfmpegGracefully()
    {
        using var process = ChildProcess.Start("ffmpeg", EndlessFfmpeg, Quitting(quit: 10));
        // FFmpeg polls stdin for keys once it is transcoding.
        Assert.That(Eventually(() => process.StderrTail.Contains("Press [q] to stop"), TimeSpan.FromSeconds(10)), Is.True, process.StderrTail);

        var result = await process.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.That(result, Is.EqualTo(new StopResult(StopOutcome.Quit, 0)));
        Assert.That(process.StderrTail, Does.Contain("[q] command received. Exiting."));
        AssertGone(process.Pid);
    }

    [Test]
    public async Task AProcessThatIgnoresQIsTerminated()
    {
        using var process = ChildProcess.Start("sleep", ["60"], Quitting(quit: 0.3, terminate: 5));
        WaitForExec(process);
        var clock = Stopwatch.StartNew();

        var result = await process.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result, Is.EqualTo(new StopResult(StopOutcome.Terminated, 128 + 15)));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.25)).And.LessThan(TimeSpan.FromSeconds(3)), "waited the 0.3 s termination timeout, not the 5 s kill timeout");
        AssertGone(process.Pid);
    }

    [Test]
    public async Task AProcessThatIgnoresQAndSigtermIsKilledWithItsWholeGroup()
    {
        var childPidFile = Dir.File("child.pid");
        using var process = ChildProcess.Start(Stubborn(), [childPidFile], Quitting(quit: 0.3, terminate: 0.4));
        var child = ReadPidFile(childPidFile);
        Assert.That(Eventually(() => process.StderrTail.Contains("ignoring"), TimeSpan.FromSeconds(5)), Is.True, "trap installed");
        Assert.That(ProcFs.TryReadStat(child, out var childStat) && childStat.ProcessGroup == process.Pid, Is.True, "the child is in the group");
        var clock = Stopwatch.StartNew();

        var result = await process.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result, Is.EqualTo(new StopResult(StopOutcome.Killed, 128 + 9)));
        // Timers count in coarse milliseconds and may fire a hair early against the Stopwatch: allow 50 ms.
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(0.65)), "waited termination + kill timeouts (0.3 + 0.4 s)");
        AssertGone(process.Pid);
        AssertDead(child);
    }

    [Test]
    public async Task AStoppedProcessIsContinuedSoItCanActOnSigterm()
    {
        using var process = ChildProcess.Start("sleep", ["60"], Quitting(quit: 0.2, terminate: 5));
        WaitForExec(process);
        ProcessInterop.SignalProcess(process.Pid, ProcessInterop.SigStop);
        Assert.That(Eventually(() => ProcFs.TryReadStat(process.Pid, out var s) && s.State == 'T', TimeSpan.FromSeconds(5)), Is.True, "stopped");

        var result = await process.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        // Without SIGCONT the SIGTERM would stay pending and only SIGKILL (after 5 s) would end it.
        Assert.That(result, Is.EqualTo(new StopResult(StopOutcome.Terminated, 128 + 15)));
        AssertGone(process.Pid);
    }

    [Test]
    public async Task StoppingAnExitedProcessReportsHowItExited()
    {
        using var process = ChildProcess.Start("sh", ["-c", "exit 3"]);
        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(3));

        Assert.That(await process.StopAsync(), Is.EqualTo(new StopResult(StopOutcome.Exited, 3)));
        AssertGone(process.Pid);
    }

    [Test]
    public async Task CancellingAStopSkipsTheRemainingWaitsAndKills()
    {
        var childPidFile = Dir.File("child.pid");
        using var process = ChildProcess.Start(Stubborn(), [childPidFile], Quitting(quit: 20, terminate: 20));
        var child = ReadPidFile(childPidFile);
        using var hurry = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();

        var result = await process.StopAsync(hurry.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result.Outcome, Is.EqualTo(StopOutcome.Killed));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        AssertGone(process.Pid);
        AssertDead(child);
    }

    [Test]
    public async Task TheKillAtOnceLadderSkipsQuitAndSigterm()
    {
        var childPidFile = Dir.File("child.pid");
        using var process = ChildProcess.Start(Stubborn(), [childPidFile]); // StopLadder.KillAtOnce is the default
        var child = ReadPidFile(childPidFile);
        var clock = Stopwatch.StartNew();

        var result = await process.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(result, Is.EqualTo(new StopResult(StopOutcome.Killed, 128 + 9)));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "no grace waited");
        AssertGone(process.Pid);
        AssertDead(child);
    }

    [Test]
    public async Task DisposeKillsTheWholeGroup()
    {
        var childPidFile = Dir.File("child.pid");
        var script = Script("parent.sh", "sleep 60 &\necho $! > \"$1\"\nwait");
        var process = ChildProcess.Start(script, [childPidFile]);
        var child = ReadPidFile(childPidFile);

        process.Dispose();

        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(128 + 9));
        AssertGone(process.Pid);
        AssertDead(child);
    }
}
