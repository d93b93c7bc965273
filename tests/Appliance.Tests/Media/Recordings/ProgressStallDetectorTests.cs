using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Media.Recordings;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Media.Recordings;

/// <summary>The watchdog's judgement: only media time that moves counts as progress.</summary>
public class ProgressStallDetectorTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static void Report(FfmpegProgress p, long outTimeUs) =>
        p.Append(System.Text.Encoding.ASCII.GetBytes($"frame=1\nout_time_us={outTimeUs}\nprogress=continue\n"));

    [Test]
    public void AdvancingMediaTimeIsNeverAStall()
    {
        var time = new FakeTimeProvider();
        var detector = new ProgressStallDetector(time);
        var progress = new FfmpegProgress();
        for (var s = 1; s <= 60; s++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            Report(progress, s * 1_000_000L);
            Assert.That(detector.IsStalled(progress, Timeout, out var silence), Is.False, $"at {s} s");
            Assert.That(silence, Is.EqualTo(TimeSpan.Zero));
        }
    }

    [Test]
    public void MediaTimeThatStopsIsAStallOnceTheTimeoutHasPassed()
    {
        var time = new FakeTimeProvider();
        var detector = new ProgressStallDetector(time);
        var progress = new FfmpegProgress();
        Report(progress, 5_000_000);
        Assert.That(detector.IsStalled(progress, Timeout, out _), Is.False);
        // FFmpeg goes on printing blocks (or nothing at all) but the media time is stuck.
        time.Advance(TimeSpan.FromSeconds(9.9));
        Report(progress, 5_000_000);
        Assert.That(detector.IsStalled(progress, Timeout, out var silence), Is.False);
        Assert.That(silence, Is.EqualTo(TimeSpan.FromSeconds(9.9)));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.That(detector.IsStalled(progress, Timeout, out silence), Is.True);
        Assert.That(silence, Is.EqualTo(Timeout));
        // It moves again: no longer stalled, the clock starts over.
        Report(progress, 5_040_000);
        Assert.That(detector.IsStalled(progress, Timeout, out silence), Is.False);
        Assert.That(silence, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void AProcessThatNeverReportsStallsFromWhenWatchingBegan()
    {
        var time = new FakeTimeProvider();
        var detector = new ProgressStallDetector(time);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.That(detector.IsStalled(null, Timeout, out _), Is.False);
        Assert.That(detector.IsStalled(new FfmpegProgress(), Timeout, out _), Is.False, "no out_time yet");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(detector.IsStalled(new FfmpegProgress(), Timeout, out _), Is.True);
        detector.Reset();
        Assert.That(detector.IsStalled(null, Timeout, out var silence), Is.False);
        Assert.That(silence, Is.EqualTo(TimeSpan.Zero));
    }
}
