using System.Diagnostics;
using Appliance.Configuration;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Tests.Processes;

namespace Appliance.Tests.Media;

/// <summary>Jobs through the runner: timeouts, failures, the concurrency cap, stdout limits.</summary>
public class FfmpegRunnerTests : ProcessTestBase
{
    private static readonly string[] EndlessFfmpeg = ["-hide_banner", "-re", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10", "-f", "null", "-"];

    private static FfmpegJob Job(double creation = 5, double execution = 10, double queue = 5) => new()
    {
        CreationTimeout = TimeSpan.FromSeconds(creation),
        ExecutionTimeout = TimeSpan.FromSeconds(execution),
        QueueTimeout = TimeSpan.FromSeconds(queue),
    };

    /// <summary>A runner whose ffmpeg.path is <paramref name="program"/>; the section stays mutable (live changes).</summary>
    private static (FfmpegRunner Runner, FfmpegSection Settings) Runner(string program = "ffmpeg", int maxConcurrent = 4)
    {
        var settings = Settings();
        settings.Path = program;
        settings.MaxConcurrent = maxConcurrent;
        return (new FfmpegRunner(() => settings, new ProcessRunner()), settings);
    }

    [Test]
    public async Task AHungProcessHitsTheExecutionTimeoutAndTheErrorQuotesItsStderr()
    {
        var pidFile = Dir.File("pid");
        var fake = Script("fake-ffmpeg.sh", "echo $$ > \"$1\"\necho \"[video4linux2] /dev/video7: Device or resource busy\" >&2\nexec sleep 100");
        var (runner, _) = Runner(fake);
        var clock = Stopwatch.StartNew();

        var ex = await Assert.ThrowsAsync<FfmpegTimeoutException>(() => runner.RunAsync([pidFile], Job(execution: 1)));

        Assert.That(ex!.Phase, Is.EqualTo(FfmpegTimeoutPhase.Execution));
        Assert.That(ex.StoppedBy, Is.EqualTo(StopOutcome.Terminated), "sleep ignores q; SIGTERM ends it");
        Assert.That(ex.Message, Does.StartWith("FFmpeg did not finish within 1 s"));
        Assert.That(ex.Message, Does.Contain("/dev/video7: Device or resource busy"));
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)));
        Assert.That(runner.Running, Is.Zero, "the slot was given back");
        AssertGone(ReadPidFile(pidFile));
    }

    [Test]
    public async Task ARealFfmpegOverrunningItsTimeIsAskedToQuit()
    {
        var (runner, _) = Runner();
        var ex = await Assert.ThrowsAsync<FfmpegTimeoutException>(() => runner.RunAsync(EndlessFfmpeg, Job(execution: 1.5)));

        Assert.That(ex!.StoppedBy, Is.EqualTo(StopOutcome.Quit));
        Assert.That(ex.StderrTail, Does.Contain("[q] command received. Exiting."));
        Assert.That(runner.Running, Is.Zero);
    }

    [Test]
    public async Task ASilentProcessHitsTheCreationTimeout()
    {
        var (runner, _) = Runner("sleep");
        var ex = await Assert.ThrowsAsync<FfmpegTimeoutException>(() => runner.RunAsync(["30"], Job(creation: 0.4)));

        Assert.That(ex!.Phase, Is.EqualTo(FfmpegTimeoutPhase.Creation));
        Assert.That(ex.Message, Does.StartWith("FFmpeg produced no output within 0.4 s of starting"));
        Assert.That(runner.Running, Is.Zero);
    }

    [Test]
    public async Task NonZeroExitIsAFailureQuotingFfmpeg()
    {
        var (runner, _) = Runner();
        var ex = await Assert.ThrowsAsync<FfmpegFailedException>(() =>
            runner.RunAsync(["-hide_banner", "-f", "lavfi", "-i", "nosuchsource", "-f", "null", "-"], Job()));

        Assert.That(ex!.ExitCode, Is.EqualTo(1));
        Assert.That(ex.Message, Does.StartWith("FFmpeg failed with exit code 1"));
        Assert.That(ex.Message, Does.Contain("No such filter: 'nosuchsource'"));
    }

    [TestCase("/nonexistent/bin/ffmpeg")]
    [TestCase("no-such-ffmpeg-here")]
    public async Task MissingFfmpegSaysWhatToDo(string path)
    {
        var (runner, _) = Runner(path);
        var ex = await Assert.ThrowsAsync<FfmpegNotFoundException>(() => runner.RunAsync(["-version"], Job()));

        Assert.That(ex!.Message, Is.EqualTo($"ffmpeg not found at {path}: install ffmpeg or set ffmpeg.path"));
        Assert.That(runner.Running, Is.Zero);
    }

    [Test]
    public async Task WithOneSlotASecondJobQueuesThenRuns()
    {
        var (runner, _) = Runner("sleep", maxConcurrent: 1);
        var first = runner.RunAsync(["0.8"], Job());
        Assert.That(Eventually(() => runner.Running == 1, TimeSpan.FromSeconds(5)), Is.True);

        var second = runner.RunAsync(["0"], Job(queue: 10));
        Assert.That(Eventually(() => runner.Queued == 1, TimeSpan.FromSeconds(5)), Is.True, "second job queued");
        Assert.That(runner.Running, Is.EqualTo(1));
        Assert.That(second.IsCompleted, Is.False);

        using (var a = await first.WaitAsync(TimeSpan.FromSeconds(10))) Assert.That(a.ExitCode, Is.Zero);
        using (var b = await second.WaitAsync(TimeSpan.FromSeconds(10))) Assert.That(b.ExitCode, Is.Zero);
        Assert.That((runner.Running, runner.Queued), Is.EqualTo((0, 0)));
    }

    [Test]
    public async Task WhenFullAndTheQueueTimeoutPassesTheJobIsRefusedAsBusy()
    {
        var (runner, _) = Runner("sleep", maxConcurrent: 1);
        using var cancel = new CancellationTokenSource();
        var first = runner.RunAsync(["30"], Job(execution: 30), cancel.Token);
        Assert.That(Eventually(() => runner.Running == 1, TimeSpan.FromSeconds(5)), Is.True);

        var ex = await Assert.ThrowsAsync<FfmpegBusyException>(() => runner.RunAsync(["0"], Job(queue: 0.3)));
        Assert.That(ex!.Message, Does.StartWith("1 FFmpeg jobs already running (ffmpeg.max_concurrent = 1)"));
        Assert.That(runner.Queued, Is.Zero, "the refused job left the queue");

        // Cancelling a running job kills it and frees the slot.
        cancel.Cancel();
        await Assert.ThatAsync(() => first.WaitAsync(TimeSpan.FromSeconds(5)), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Eventually(() => runner.Running == 0, TimeSpan.FromSeconds(3)), Is.True);
    }

    [Test]
    public async Task WithMaxConcurrentZeroTheLimitFollowsTheAutomaticCount()
    {
        var settings = Settings();
        settings.Path = "sleep";
        settings.MaxConcurrent = 0;
        var cameras = 2;
        var runner = new FfmpegRunner(() => settings, new ProcessRunner(), automaticLimit: () => cameras);
        using var cancel = new CancellationTokenSource();
        var running = new[] { runner.RunAsync(["30"], Job(execution: 30), cancel.Token), runner.RunAsync(["30"], Job(execution: 30), cancel.Token) };
        Assert.That(Eventually(() => runner.Running == 2, TimeSpan.FromSeconds(5)), Is.True, "two cameras: two jobs at once");
        var third = runner.RunAsync(["0"], Job(queue: 10));
        Assert.That(Eventually(() => runner.Queued == 1, TimeSpan.FromSeconds(5)), Is.True, "the third waits");

        cameras = 3; // a camera plugged in raises the count
        using (var t = await third.WaitAsync(TimeSpan.FromSeconds(3))) Assert.That(t.ExitCode, Is.Zero);
        cancel.Cancel();
        foreach (var r in running) await Assert.ThatAsync(() => r.WaitAsync(TimeSpan.FromSeconds(5)), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task RaisingMaxConcurrentLiveAdmitsAQueuedJob()
    {
        var (runner, settings) = Runner("sleep", maxConcurrent: 1);
        using var cancel = new CancellationTokenSource();
        var first = runner.RunAsync(["30"], Job(execution: 30), cancel.Token);
        Assert.That(Eventually(() => runner.Running == 1, TimeSpan.FromSeconds(5)), Is.True);
        var second = runner.RunAsync(["0"], Job(queue: 10));
        Assert.That(Eventually(() => runner.Queued == 1, TimeSpan.FromSeconds(5)), Is.True);

        settings.MaxConcurrent = 2; // what a config reload of ffmpeg.max_concurrent does

        using (var b = await second.WaitAsync(TimeSpan.FromSeconds(3))) Assert.That(b.ExitCode, Is.Zero);
        Assert.That(first.IsCompleted, Is.False, "admitted while the first job still runs");
        cancel.Cancel();
        await Assert.ThatAsync(() => first.WaitAsync(TimeSpan.FromSeconds(5)), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ALongRunningJobHoldsItsSlotUntilItIsStopped()
    {
        var (runner, _) = Runner(maxConcurrent: 1);
        using var recording = await runner.StartAsync(EndlessFfmpeg, Job() with { ExecutionTimeout = Timeout.InfiniteTimeSpan });
        Assert.That(recording.HasExited, Is.False);
        Assert.That(runner.Running, Is.EqualTo(1));

        await Assert.ThrowsAsync<FfmpegBusyException>(() => runner.RunAsync(["-version"], Job(queue: 0.2)));

        Assert.That((await recording.StopAsync()).Outcome, Is.EqualTo(StopOutcome.Quit));
        using var next = await runner.RunAsync(["-hide_banner", "-version"], Job(queue: 2));
        Assert.That(next.ExitCode, Is.Zero);
        AssertGone(recording.Pid);
    }

    [Test]
    public async Task ARecordingTakesNoSlotSoASnapshotNeverWaitsBehindRecordings()
    {
        var (runner, _) = Runner(maxConcurrent: 1);
        var slotless = Job() with { ExecutionTimeout = Timeout.InfiniteTimeSpan, QueueTimeout = TimeSpan.Zero, TakesSlot = false };
        using var first = await runner.StartAsync(EndlessFfmpeg, slotless);
        using var second = await runner.StartAsync(EndlessFfmpeg, slotless); // a count of 1 does not cap recordings
        Assert.That(runner.Running, Is.Zero, "recordings hold no slot");

        // The one short-job slot is free: a snapshot-like job starts at once, with no queueing allowed.
        using var shortJob = await runner.RunAsync(["-hide_banner", "-version"], Job(queue: 0));
        Assert.That(shortJob.ExitCode, Is.Zero);

        Assert.That((await first.StopAsync()).Outcome, Is.EqualTo(StopOutcome.Quit));
        Assert.That((await second.StopAsync()).Outcome, Is.EqualTo(StopOutcome.Quit));
        Assert.That((runner.Running, runner.Queued), Is.EqualTo((0, 0)), "stopping slotless jobs released nothing they did not hold");
    }

    [Test]
    public async Task ALongRunningJobIsStoppedGracefullyAtItsExecutionTimeout()
    {
        var (runner, _) = Runner();
        using var recording = await runner.StartAsync(EndlessFfmpeg, Job(execution: 0.8));

        Assert.That(await recording.Exited.WaitAsync(TimeSpan.FromSeconds(10)), Is.Zero, "'q' made FFmpeg exit cleanly");
        Assert.That(recording.StderrTail, Does.Contain("[q] command received"));
        Assert.That(Eventually(() => runner.Running == 0, TimeSpan.FromSeconds(3)), Is.True);
    }

    [Test]
    public async Task CapturedStdoutIsCappedAtTheJobLimit()
    {
        var (runner, _) = Runner("head");
        var ex = await Assert.ThrowsAsync<FfmpegOutputTooLargeException>(() =>
            runner.RunAsync(["-c", "3000000", "/dev/zero"], Job() with { CaptureStdout = true, MaxStdoutBytes = 1024 * 1024 }));

        Assert.That(ex!.Message, Does.StartWith("FFmpeg wrote more than 1 MiB to stdout"));
        Assert.That(runner.Running, Is.Zero);
    }

    [Test]
    public async Task CapturedStdoutOfExactlyTheLimitIsAccepted()
    {
        var (runner, _) = Runner("head");
        using var result = await runner.RunAsync(["-c", "1048576", "/dev/zero"], Job() with { CaptureStdout = true, MaxStdoutBytes = 1024 * 1024 });
        Assert.That(result.Stdout.Length, Is.EqualTo(1024 * 1024));
        Assert.That(result.Stdout.Span.IndexOfAnyExcept((byte)0), Is.EqualTo(-1));
    }
}
