using System.Text;
using Appliance.Processes;

namespace Appliance.Tests.Processes;

/// <summary>Starting children: argument lists, process groups, stdout capture, the stderr tail.</summary>
public class ChildProcessTests : ProcessTestBase
{
    [Test]
    public async Task ArgumentsReachTheProgramUnchangedWithNoShellInBetween()
    {
        // A shell would expand $HOME, the glob and the backticks, split on spaces and drop the empty argument.
        string[] tricky = ["with space", "it's", "\"double\"", "$HOME", "*", "`id`", "a;b|c&&d", "", "tab\there", "ünï"];
        using var process = ChildProcess.Start("printf", ["%s\\0", .. tricky], new ChildProcessOptions { CaptureStdout = true });

        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(0), process.StderrTail);
        using var stdout = process.TakeStdout();
        var received = Encoding.UTF8.GetString(stdout.Span).Split('\0')[..^1];
        Assert.That(received, Is.EqualTo(tricky));
        AssertGone(process.Pid);
    }

    [Test]
    public void ChildLeadsItsOwnProcessGroupAndSessionAndThePidIsTheProgramsOwn()
    {
        using var process = ChildProcess.Start("sleep", ["30"]);
        WaitForExec(process);

        Assert.That(ProcFs.TryReadStat(process.Pid, out var stat), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(stat.ProcessGroup, Is.EqualTo(process.Pid), "pgrp");
            Assert.That(stat.Session, Is.EqualTo(process.Pid), "session");
            // setsid exec'd in place rather than forking: the program is our direct child.
            Assert.That(stat.ParentPid, Is.EqualTo(Environment.ProcessId), "ppid");
            Assert.That(ProcFs.ReadCommandLine(process.Pid), Is.EqualTo(new[] { process.Program, "30" }));
            Assert.That(process.StartTime, Is.EqualTo(stat.StartTime));
        });

        process.Dispose();
        AssertGone(process.Pid);
    }

    [Test]
    public async Task StderrIsDrainedIntoABoundedTailOfTheLastLines()
    {
        // 2000 lines (~70 KiB) is more than a pipe holds: the child would block if stderr were not drained.
        var script = Script("chatty.sh", "i=1; while [ $i -le 2000 ]; do echo \"line $i of the log\" >&2; i=$((i+1)); done; exit 3");
        using var process = ChildProcess.Start(script, []);

        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(3));
        var lines = process.StderrLines;
        Assert.That(lines, Has.Count.EqualTo(50));
        Assert.That(lines[^1], Is.EqualTo("line 2000 of the log"));
        Assert.That(lines[0], Is.EqualTo("line 1951 of the log"));
        Assert.That(process.StderrTail, Does.EndWith("line 1999 of the log\nline 2000 of the log"));
        AssertGone(process.Pid);
    }

    [Test]
    public async Task FirstOutputWaitsForTheFirstByte()
    {
        var script = Script("slow.sh", "sleep 0.5; echo hello >&2; sleep 30");
        using var process = ChildProcess.Start(script, []);

        await Task.Delay(200);
        Assert.That(process.FirstOutput.IsCompleted, Is.False, "no output yet");
        await process.FirstOutput.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(process.StderrTail, Is.EqualTo("hello"));
        Assert.That(process.HasExited, Is.False);

        process.Dispose();
        await process.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(process.StderrTail, Is.EqualTo("hello"));
        AssertGone(process.Pid);
    }

    [Test]
    public void MissingProgramIsReportedBeforeAnythingStarts()
    {
        var ex = Assert.Throws<ExecutableNotFoundException>(() => ChildProcess.Start("/nonexistent/bin/ffmpeg", ["-version"]));
        Assert.That(ex!.Message, Is.EqualTo("/nonexistent/bin/ffmpeg not found or not executable"));

        // A file that exists but may not be executed is no program either.
        var notExecutable = Dir.Write("ffmpeg", "#!/bin/sh\n");
        Assert.Throws<ExecutableNotFoundException>(() => ChildProcess.Start(notExecutable, []));
    }

    [Test]
    public async Task StdinIsClosedAtOnceWhenTheLadderNeverWritesToIt()
    {
        // cat copies stdin until EOF: it ends by itself only if nobody holds the pipe open.
        using var process = ChildProcess.Start("cat", []);
        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.Zero);

        // With a quit step the pipe stays open for it: cat runs until 'q' arrives and stdin closes.
        using var quitting = ChildProcess.Start("cat", [], Quitting(quit: 5) with { CaptureStdout = true });
        await Task.Delay(300);
        Assert.That(quitting.HasExited, Is.False, "stdin still open");
        Assert.That(await quitting.StopAsync().WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo(new StopResult(StopOutcome.Quit, 0)));
        using var echoed = quitting.TakeStdout();
        Assert.That(echoed.Span.ToArray(), Is.EqualTo("q"u8.ToArray()));
        AssertGone(process.Pid);
        AssertGone(quitting.Pid);
    }

    [Test]
    public async Task StdoutReachesTheSinkAsItArrivesAndItHearsTheEnd()
    {
        var sink = new RecordingSink();
        using var process = ChildProcess.Start("printf", ["one\ntwo"], new ChildProcessOptions { StdoutSink = sink });
        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)), Is.Zero);
        Assert.That(Encoding.UTF8.GetString(sink.Bytes.ToArray()), Is.EqualTo("one\ntwo"));
        Assert.That(sink.Completed, Is.True);
        AssertGone(process.Pid);
    }

    private sealed class RecordingSink : IOutputSink
    {
        public List<byte> Bytes { get; } = [];
        public bool Completed { get; private set; }
        public void Append(ReadOnlySpan<byte> chunk) => Bytes.AddRange(chunk);
        public void Complete() => Completed = true;
    }
}
