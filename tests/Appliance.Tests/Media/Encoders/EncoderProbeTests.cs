using System.Diagnostics;
using Appliance.Configuration;
using Appliance.Media.Encoders;
using Appliance.Media.Ffmpeg;
using Appliance.Media.Recordings;
using Appliance.Processes;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Media.Encoders;

/// <summary>
/// The start-up probe of encoders and containers, with the real FFmpeg (libx264 and libx265 work
/// here, the V4L2 encoders are listed but have no device) and with a stand-in FFmpeg for the boards
/// this machine is not: one with a working hardware encoder, one without x265, one that hangs.
/// </summary>
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class EncoderProbeTests
{
    private TestDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TestDirectory();

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    private static EncoderProbe Probe(string ffmpeg, double timeout = 8) =>
        new(new FfmpegRunner(() => new FfmpegSection { Path = ffmpeg, SnapshotExecutionTimeout = timeout }, new ProcessRunner()), () => new FfmpegSection { Path = ffmpeg, SnapshotExecutionTimeout = timeout },
            NullLogger.Instance);

    private static IEnumerable<string> Names(MediaCapabilities c) => c.Encoders.Select(e => $"{e.Codec}:{e.Encoder}:{(e.Hardware ? "hw" : "sw")}");

    [Test]
    public async Task TheRealFfmpegHereEncodesInSoftwareOnlyAndWritesEveryContainer()
    {
        // `ffmpeg -encoders` lists the V4L2 encoders here: the list alone would offer hardware that is not there.
        var (_, listed, _) = Repair.RecordingSamples.Run("ffmpeg", ["-hide_banner", "-encoders"]);
        Assert.That(listed, Does.Contain("h264_v4l2m2m"), "this FFmpeg lists the V4L2 encoder");

        var found = await Probe("ffmpeg").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(found.Complete, Is.True);
        Assert.That(Names(found), Is.EqualTo(new[] { "h264:libx264:sw", "h265:libx265:sw" }));
        Assert.That(found.Containers, Is.EqualTo(new[] { "mp4", "mkv", "ts" }));
        Assert.That(found.ImageFormats, Is.EqualTo(new[] { "jpg", "png" }));
        Assert.That(found.EncoderFor("h264")!.Encoder, Is.EqualTo("libx264"), "no device behind h264_v4l2m2m: the software encoder");
    }

    [Test]
    public async Task AWorkingHardwareEncoderIsPreferredAndACrfStillGetsTheSoftwareOne()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder> { ["h264_v4l2m2m"] = FakeEncoder.Works, ["hevc_v4l2m2m"] = FakeEncoder.NoDevice });
        var probe = Probe(fake.Path);

        var found = await probe.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(Names(found), Is.EqualTo(new[] { "h264:h264_v4l2m2m:hw", "h264:libx264:sw", "h265:libx265:sw" }));
        var resolver = new RecordingOptionsResolver(probe, () => "mp4");
        var medium = await resolver.ResolveAsync("h264", null, null, CancellationToken.None);
        Assert.That((medium.Encoder!.Encoder, medium.Requested.Quality, medium.Transcodes), Is.EqualTo(("h264_v4l2m2m", "medium", true)));
        var crf = await resolver.ResolveAsync("h264", "crf:20", "fmp4", CancellationToken.None);
        Assert.That(crf.Encoder!.Encoder, Is.EqualTo("libx264"), "a CRF is for software encoders");
        Assert.That((crf.Requested.Format, crf.Container.Name), Is.EqualTo(("fmp4", "mp4")));
        var h265 = await resolver.ResolveAsync("h265", "2M", "ts", CancellationToken.None);
        Assert.That(h265.Encoder!.Encoder, Is.EqualTo("libx265"), "hevc_v4l2m2m has no device: the software one");
        // Tried in order of preference, each once (4 encoders), then every container and image format in one run.
        Assert.That(fake.Calls, Has.Count.EqualTo(5), string.Join("\n", fake.Calls));
        Assert.That(fake.Calls[0], Does.Contain("-c:v h264_v4l2m2m").And.Contain("testsrc=size=64x64:rate=1").And.Contain("-frames:v 1").And.EndWith("-f null -"));
    }

    [Test]
    public async Task AHardwareEncoderWithNoDeviceBehindItFallsBackToSoftware()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder> { ["h264_v4l2m2m"] = FakeEncoder.NoDevice, ["hevc_v4l2m2m"] = FakeEncoder.NoDevice });
        var probe = Probe(fake.Path);
        var options = await new RecordingOptionsResolver(probe, () => "mkv").ResolveAsync("h264", "high", null, CancellationToken.None);
        Assert.That((options.Encoder!.Encoder, options.Encoder.Hardware, options.Container.Name), Is.EqualTo(("libx264", false, "mkv")));
        Assert.That(Names(probe.Current), Does.Not.Contain("h264:h264_v4l2m2m:hw"));
    }

    [Test]
    public async Task ACodecWithNoWorkingEncoderIsRefusedNamingTheCodecAndWhatTheBoxCanDo()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder>
        {
            ["h264_v4l2m2m"] = FakeEncoder.NoDevice, ["hevc_v4l2m2m"] = FakeEncoder.NoDevice, ["libx265"] = FakeEncoder.Unknown,
        });
        var resolver = new RecordingOptionsResolver(Probe(fake.Path), () => "mp4");

        var e = (await Assert.ThrowsAsync<RecordingOptionException>(() => resolver.ResolveAsync("h265", null, null, CancellationToken.None)))!;

        Assert.That((e.Option, e.Unsupported), Is.EqualTo(("codec", true)));
        Assert.That(e.Message, Is.EqualTo("this box cannot encode h265: no working encoder (tried hevc_v4l2m2m, libx265). It can record with codec copy, h264"));
    }

    [Test]
    public async Task ACrfOnABoxWithOnlyAHardwareEncoderIsRefusedNamingQuality()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder> { ["h264_v4l2m2m"] = FakeEncoder.Works, ["libx264"] = FakeEncoder.Unknown });
        var resolver = new RecordingOptionsResolver(Probe(fake.Path), () => "mp4");

        var e = (await Assert.ThrowsAsync<RecordingOptionException>(() => resolver.ResolveAsync("h264", "crf:23", null, CancellationToken.None)))!;
        Assert.That((e.Option, e.Unsupported), Is.EqualTo(("quality", true)));
        Assert.That(e.Message, Does.Contain("a CRF needs a software h264 encoder").And.Contain("h264_v4l2m2m"));
        var bitrate = await resolver.ResolveAsync("h264", "3M", null, CancellationToken.None);
        Assert.That(bitrate.Encoder!.Encoder, Is.EqualTo("h264_v4l2m2m"));
    }

    [Test]
    public async Task WithNoEncoderAtAllTheContainersAreStillFoundFromTheMuxerList()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder>
        {
            ["h264_v4l2m2m"] = FakeEncoder.Unknown, ["libx264"] = FakeEncoder.Unknown, ["hevc_v4l2m2m"] = FakeEncoder.Unknown, ["libx265"] = FakeEncoder.Unknown,
        });
        var found = await Probe(fake.Path).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(found.Encoders, Is.Empty);
        Assert.That(found.Containers, Is.EqualTo(new[] { "mp4", "mkv", "ts" }));
        Assert.That(fake.Calls.Where(c => c.Contains("-h muxer=")).ToList(), Has.Count.EqualTo(3));
        Assert.That(RecordingOptionsResolver.Available(found), Is.EqualTo(new[] { "copy" }));
    }

    [Test]
    public async Task AMissingMuxerIsFoundByTryingEachOutputAloneWhenTheJointRunFails()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder>(), "mpegts");
        var found = await Probe(fake.Path).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(found.Containers, Is.EqualTo(new[] { "mp4", "mkv" }));
        Assert.That(found.ImageFormats, Is.EqualTo(new[] { "jpg", "png" }));
        // 4 encoders, the joint run that failed, then each of the 5 outputs alone.
        Assert.That(fake.Calls, Has.Count.EqualTo(10), string.Join("\n", fake.Calls));
        Assert.That(fake.Calls[4], Does.Contain("-f mp4").And.Contain("-f matroska").And.Contain("-f mpegts").And.Contain("-c:v mjpeg").And.Contain("-c:v png"));
        Assert.That(fake.Calls[4], Does.Contain("-c:v libx264"), "written with the software encoder");
    }

    [Test]
    public async Task AHangingEncoderIsStoppedAtTheShortJobTimeoutAndTheRestIsStillProbed()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder> { ["h264_v4l2m2m"] = FakeEncoder.Hangs, ["hevc_v4l2m2m"] = FakeEncoder.NoDevice });
        var probe = Probe(fake.Path, timeout: 1);
        var sw = Stopwatch.StartNew();

        var early = await probe.WaitAsync(TimeSpan.FromMilliseconds(200));
        Assert.That(early.Complete, Is.False, "a bounded wait answers what is known, marked incomplete");
        var found = await probe.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(found.Complete, Is.True);
        Assert.That(Names(found), Is.EqualTo(new[] { "h264:libx264:sw", "h265:libx265:sw" }));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the hung encoder was given ffmpeg.snapshot_execution_timeout, not forever");
    }

    [Test]
    public async Task TheProbeRunsOnceHoweverOftenItIsAskedAndStartedAndNeverAfterwards()
    {
        var fake = new FakeFfmpeg(_dir, new Dictionary<string, FakeEncoder>());
        var probe = Probe(fake.Path);
        probe.Start();
        probe.Start();
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => probe.WaitAsync(TimeSpan.FromSeconds(60))));
        var calls = fake.Calls.Count;
        Assert.That(calls, Is.EqualTo(5));
        await Task.Delay(500);
        await probe.WaitAsync(TimeSpan.FromSeconds(1));
        Assert.That(fake.Calls, Has.Count.EqualTo(calls), "nothing runs after the probe");
    }
}
