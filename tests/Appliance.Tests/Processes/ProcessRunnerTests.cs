using System.Diagnostics;
using Appliance.Processes;

namespace Appliance.Tests.Processes;

/// <summary>Short commands run to their end: timeouts stop them by their ladder, cancelling kills them.</summary>
public class ProcessRunnerTests : ProcessTestBase
{
    [Test]
    public async Task ACommandThatFinishesReturnsItsExitAndOutput()
    {
        using var process = await new ProcessRunner().RunAsync("sh", ["-c", "echo out; echo err >&2; exit 4"], new ChildProcessOptions { CaptureStdout = true },
            TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.That(await process.Exited, Is.EqualTo(4));
        using var stdout = process.TakeStdout();
        Assert.That(System.Text.Encoding.UTF8.GetString(stdout.Span), Is.EqualTo("out\n"));
        Assert.That(process.StderrTail, Is.EqualTo("err"));
        AssertGone(process.Pid);
    }

    [Test]
    public async Task OverrunningTheTimeoutStopsItByItsLadderAndSaysSo()
    {
        var childPidFile = Dir.File("child.pid");
        var script = Script("hang.sh", "sleep 60 &\necho $! > \"$1\"\nwait");
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<ChildProcessTimeoutException>(() =>
            new ProcessRunner().RunAsync(script, [childPidFile], new ChildProcessOptions(), TimeSpan.FromSeconds(0.5), CancellationToken.None));

        Assert.That(ex!.StoppedBy, Is.EqualTo(StopOutcome.Killed), "the default ladder kills at once");
        Assert.That(ex.Message, Does.Match(@"^hang\.sh \(pid \d+\) did not finish within 0\.5 s \(stopped: killed\)$"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        AssertDead(ReadPidFile(childPidFile));
    }

    [Test]
    public async Task CancellingKillsAtOnceEvenWithAGracefulLadder()
    {
        var pidFile = Dir.File("pid");
        var script = Script("stubborn.sh", "trap '' TERM INT\necho $$ > \"$1\"\nwhile :; do sleep 1; done");
        using var cancel = new CancellationTokenSource();
        var run = new ProcessRunner().RunAsync(script, [pidFile], Quitting(quit: 20, terminate: 20), TimeSpan.FromSeconds(60), cancel.Token);
        var pid = ReadPidFile(pidFile);
        var clock = Stopwatch.StartNew();

        cancel.Cancel();

        await Assert.ThatAsync(() => run, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        AssertGone(pid);
    }
}
