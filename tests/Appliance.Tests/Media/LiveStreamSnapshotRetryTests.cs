using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Media;
using Appliance.Media.Ffmpeg;
using Appliance.Media.Snapshots;
using Appliance.Processes;
using Appliance.Tests.Cameras;
using Appliance.Tests.Processes;
using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;

namespace Appliance.Tests.Media;

/// <summary>
/// A snapshot of a live stream whose read found no picture (FFmpeg's probe window passed before a
/// keyframe: "Output file #0 does not contain any stream") is read once more; other failures are not.
/// The failing read is a stand-in script that prints the real FFmpeg 5.1's line and exits 1, as
/// FFmpeg did in the eight-camera VM test; the read that works is the real FFmpeg drawing a test
/// pattern (no RTSP server needed to prove the retry).
/// </summary>
public class LiveStreamSnapshotRetryTests : ProcessTestBase
{
    private const string NoStream = "Output file #0 does not contain any stream";

    private (SnapshotTaker Taker, ConfigStore Config) Taker(string ffmpegPath)
    {
        var config = new ApplianceConfig();
        config.Ffmpeg.Path = ffmpegPath;
        config.Snapshots.Path = Dir.File("snapshots");
        var store = new ConfigStore(config, null, NullLogger.Instance);
        var streams = Substitute.For<ILiveStreams>();
        streams.MediaServerDown.Returns(false);
        streams.ReadUrl(Arg.Any<Camera>()).Returns("rtsp://127.0.0.1:8554/camera0");
        streams.LivenessAsync(Arg.Any<Camera>(), Arg.Any<CancellationToken>()).Returns(StreamLiveness.Ready);
        var runner = new FfmpegRunner(() => store.Current.Ffmpeg, new ProcessRunner());
        return (new SnapshotTaker(store, streams, runner, new EventHub(NullLogger<EventHub>.Instance), NullLogger<SnapshotTaker>.Instance), store);
    }

    /// <summary>FFmpeg that fails its first <paramref name="failures"/> reads with <paramref name="line"/>, then
    /// writes a real JPEG of a test pattern to stdout. Every call is counted in calls.log.</summary>
    private string Ffmpeg(int failures, string line) => Script("ffmpeg.sh", $"""
        echo call >> '{Dir.File("calls.log")}'
        n=$(wc -l < '{Dir.File("calls.log")}')
        if [ "$n" -le {failures} ]; then echo "{line}" >&2; exit 1; fi
        exec ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i testsrc=size=160x120:rate=1 -frames:v 1 -c:v mjpeg -f image2pipe -
        """);

    private int Calls => File.Exists(Dir.File("calls.log")) ? File.ReadAllLines(Dir.File("calls.log")).Length : 0;

    [Test]
    public async Task AReadThatFoundNoPictureIsTriedOnceMoreAndTheSnapshotIsTaken()
    {
        var (taker, _) = Taker(Ffmpeg(failures: 1, NoStream));
        var outcome = await taker.TakeAsync(FakeCameras.Make("/dev/video0", "A"), new SnapshotRequest(null, "jpg", null, null, null), CancellationToken.None);
        Assert.That(outcome.Error, Is.Null);
        Assert.That(Calls, Is.EqualTo(2));
        var jpeg = await File.ReadAllBytesAsync(outcome.FilePath);
        Assert.That(jpeg.Take(2), Is.EqualTo(new byte[] { 0xFF, 0xD8 }), "a JPEG");
    }

    [Test]
    public async Task OnlyOnceThenTheErrorQuotesFfmpeg()
    {
        var (taker, _) = Taker(Ffmpeg(failures: 5, NoStream));
        var outcome = await taker.TakeAsync(FakeCameras.Make("/dev/video0", "A"), new SnapshotRequest(null, "jpg", null, null, null), CancellationToken.None);
        Assert.That(outcome.Error, Does.Contain(NoStream));
        Assert.That(Calls, Is.EqualTo(2));
        Assert.That(File.Exists(outcome.FilePath), Is.False);
    }

    [TestCase("method DESCRIBE failed: 401 Unauthorized")]
    [TestCase("method DESCRIBE failed: 404 Not Found")]
    [TestCase("Connection refused")]
    public async Task OtherFailuresAreNotRetried(string line)
    {
        var (taker, _) = Taker(Ffmpeg(failures: 5, line));
        var outcome = await taker.TakeAsync(FakeCameras.Make("/dev/video0", "A"), new SnapshotRequest(null, "jpg", null, null, null), CancellationToken.None);
        Assert.That(outcome.Error, Does.Contain(line));
        Assert.That(Calls, Is.EqualTo(1));
    }
}
