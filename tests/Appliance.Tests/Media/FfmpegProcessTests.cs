using System.Text;
using Appliance.Media.Process;

namespace Appliance.Tests.Media;

/// <summary>Starting children: argument lists, process groups, stdout capture, the stderr tail.</summary>
public class FfmpegProcessTests : ProcessTestBase
{
    [Test]
    public async Task ArgumentsReachTheProgramUnchangedWithNoShellInBetween()
    {
        // A shell would expand $HOME, the glob and the backticks, split on spaces and drop the empty argument.
        string[] tricky = ["with space", "it's", "\"double\"", "$HOME", "*", "`id`", "a;b|c&&d", "", "tab\there", "ünï"];
        using var process = FfmpegProcess.Start("printf", ["%s\\0", .. tricky], new FfmpegProcessOptions { Stdout = StdoutMode.Capture });

        Assert.That(await process.Exited.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(0), process.StderrTail);
        using var stdout = process.TakeStdout();
        var received = Encoding.UTF8.GetString(stdout.Span).Split('\0')[..^1];
        Assert.That(received, Is.EqualTo(tricky));
        AssertGone(process.Pid);
    }

    [Test]
    public void ChildLeadsItsOwnProcessGroupAndSessionAndThePidIsTheProgramsOwn()
    {
        using var process = FfmpegProcess.Start("sleep", ["30"]);
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
        using var process = FfmpegProcess.Start(script, []);

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
        using var process = FfmpegProcess.Start(script, []);

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
        var ex = Assert.Throws<FfmpegNotFoundException>(() => FfmpegProcess.Start("/nonexistent/bin/ffmpeg", ["-version"]));
        Assert.That(ex!.Message, Is.EqualTo("ffmpeg not found at /nonexistent/bin/ffmpeg: install ffmpeg or set ffmpeg.path"));

        // A file that exists but may not be executed is no program either.
        var notExecutable = Dir.Write("ffmpeg", "#!/bin/sh\n");
        Assert.Throws<FfmpegNotFoundException>(() => FfmpegProcess.Start(notExecutable, []));
    }
}
