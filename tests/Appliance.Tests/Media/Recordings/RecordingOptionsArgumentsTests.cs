using Appliance.Media.Encoders;
using Appliance.Media.Recordings;

namespace Appliance.Tests.Media.Recordings;

/// <summary>The quality text a client sends, and the FFmpeg arguments each encoder and container get.</summary>
public class RecordingOptionsArgumentsTests
{
    private static readonly VideoEncoder X264 = new("h264", "libx264", false);
    private static readonly VideoEncoder X265 = new("h265", "libx265", false);
    private static readonly VideoEncoder V4l2H264 = new("h264", "h264_v4l2m2m", true);

    [TestCase("low", QualityKind.Level, 0L, 0)]
    [TestCase("medium", QualityKind.Level, 0L, 0)]
    [TestCase("high", QualityKind.Level, 0L, 0)]
    [TestCase("100k", QualityKind.Bitrate, 100_000L, 0)]
    [TestCase("2500k", QualityKind.Bitrate, 2_500_000L, 0)]
    [TestCase("50M", QualityKind.Bitrate, 50_000_000L, 0)]
    [TestCase("crf:0", QualityKind.Crf, 0L, 0)]
    [TestCase("crf:51", QualityKind.Crf, 0L, 51)]
    public void GoodQualities(string text, QualityKind kind, long bps, int crf)
    {
        Assert.That(RecordingQuality.TryParse(text, out var q, out var problem), Is.True, problem);
        Assert.That((q!.Kind, q.BitsPerSecond, q.Crf, q.Text), Is.EqualTo((kind, bps, crf, text)));
    }

    [TestCase("99k", "the bitrate must be from 100k to 50M")]
    [TestCase("51M", "the bitrate must be from 100k to 50M")]
    [TestCase("0M", "the bitrate must be from 100k to 50M")]
    [TestCase("crf:52", "the CRF must be from 0 to 51")]
    [TestCase("crf:-1", "must be \"crf:\" followed by a whole number from 0 to 51")]
    [TestCase("crf:", "must be \"crf:\" followed by a whole number")]
    [TestCase("2 M", "'quality' must be low, medium, high")]
    [TestCase("1.5M", "'quality' must be low, medium, high")]
    [TestCase("2G", "'quality' must be low, medium, high")]
    [TestCase("HIGH", "'quality' must be low, medium, high")]
    [TestCase("", "'quality' must be low, medium, high")]
    [TestCase("99999999999999999999M", "'quality' must be low, medium, high")]
    public void BadQualitiesSayWhy(string text, string why)
    {
        Assert.That(RecordingQuality.TryParse(text, out var q, out var problem), Is.False);
        Assert.That(q, Is.Null);
        Assert.That(problem, Does.Contain(why));
        Assert.That(problem, Does.StartWith("'quality'"));
    }

    private static RecordingOptions Options(VideoEncoder? encoder, string quality, string format = "mp4")
    {
        RecordingQuality.TryParse(quality, out var q, out _);
        return new RecordingOptions(new RequestedOptions(encoder is null ? "copy" : encoder.Codec, quality, format), ContainerFormat.ForFormat(format)!, encoder, q);
    }

    private static string Joined(List<string> args) => string.Join(' ', args);

    [Test]
    public void ACopyCopies() =>
        Assert.That(TranscodeArguments.For(RecordingOptions.StreamCopy("mkv"), 1280, 720, 30, 3600), Is.EqualTo(new[] { "-c", "copy" }));

    [Test]
    public void SoftwareEncodersGetAPresetACrfAndKeyframesOnTheSegmentBoundaries()
    {
        Assert.That(Joined(TranscodeArguments.For(Options(X264, "high"), 1280, 720, 30, 3600)),
            Is.EqualTo("-c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 19 -force_key_frames expr:gte(t,n_forced*3600/1800)"));
        Assert.That(Joined(TranscodeArguments.For(Options(X264, "crf:31"), 1280, 720, 30, 2)),
            Is.EqualTo("-c:v libx264 -pix_fmt yuv420p -preset veryfast -crf 31 -force_key_frames expr:gte(t,n_forced*2/1)"));
        Assert.That(Joined(TranscodeArguments.For(Options(X265, "low"), 640, 480, 15, 5)),
            Is.EqualTo("-c:v libx265 -pix_fmt yuv420p -preset ultrafast -x265-params log-level=error -crf 33 -force_key_frames expr:gte(t,n_forced*5/3) -tag:v hvc1"));
        Assert.That(Joined(TranscodeArguments.For(Options(X265, "medium", "ts"), 640, 480, 15, 5)), Does.Not.Contain("hvc1"), "the hvc1 tag is MP4's");
    }

    [Test]
    public void AnExplicitBitrateIsHeldOverATwoSecondBuffer() =>
        Assert.That(Joined(TranscodeArguments.For(Options(X264, "800k"), 1280, 720, 30, 60)),
            Does.Contain("-b:v 800k -maxrate 800k -bufsize 1600k").And.Not.Contain("-crf"));

    [Test]
    public void AHardwareEncoderGetsABitrateScaledToThePictureAndAGop()
    {
        Assert.That(Joined(TranscodeArguments.For(Options(V4l2H264, "medium"), 1280, 720, 30, 3600)),
            Is.EqualTo("-c:v h264_v4l2m2m -pix_fmt yuv420p -b:v 1935k -force_key_frames expr:gte(t,n_forced*3600/1800) -g 60"));
        Assert.That(Joined(TranscodeArguments.For(Options(V4l2H264, "5M"), 1920, 1080, 25, 3600)), Does.Contain("-b:v 5M").And.Contain("-g 50"));
        long Rate(int level, int w, int h, int fps) => TranscodeArguments.LevelBitrate("h264", level, w, h, fps);
        Assert.That(Rate(0, 1920, 1080, 30), Is.LessThan(Rate(1, 1920, 1080, 30)));
        Assert.That(Rate(1, 1920, 1080, 30), Is.LessThan(Rate(2, 1920, 1080, 30)));
        Assert.That(Rate(1, 640, 480, 30), Is.LessThan(Rate(1, 1920, 1080, 30)), "scaled to the pixels");
        Assert.That(Rate(0, 160, 120, 5), Is.EqualTo(100_000), "never under 100k");
        Assert.That(Rate(2, 7680, 4320, 60), Is.EqualTo(50_000_000), "never over 50M");
        Assert.That(TranscodeArguments.LevelBitrate("h265", 1, 1920, 1080, 30), Is.LessThan(Rate(1, 1920, 1080, 30)), "HEVC needs fewer bits");
    }

    [TestCase(3600.0, 3600.0, 1800)]
    [TestCase(2.0, 2.0, 1)]
    [TestCase(1.5, 1.5, 1)]
    [TestCase(5.0, 5.0, 3)]
    [TestCase(2.5, 2.5, 2)]
    public void KeyframesFallOnEverySegmentBoundaryAtMostTwoSecondsApart(double segment, double span, int count)
    {
        var (s, n) = TranscodeArguments.KeyframeSpacing(segment);
        Assert.That((s, n), Is.EqualTo((span, count)));
        Assert.That(s / n, Is.LessThanOrEqualTo(2));
    }

    [TestCase("mp4", "mp4", "movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1", ".mp4")]
    [TestCase("fmp4", "mp4", "movflags=+frag_keyframe+empty_moov+default_base_moof:flush_packets=1", ".mp4")]
    [TestCase("mkv", "matroska", "flush_packets=1", ".mkv")]
    [TestCase("ts", "mpegts", "flush_packets=1", ".ts")]
    public void EachFormatHasItsMuxerAndExtension(string format, string muxer, string options, string extension)
    {
        var args = RecordingArguments.Build("rtsp://h/p", "/rec", "camera0_", Options(X264, "medium", format), null, 60, 320, 240, 15);
        Assert.That(args[args.IndexOf("-segment_format") + 1], Is.EqualTo(muxer));
        Assert.That(args[args.IndexOf("-segment_format_options") + 1], Is.EqualTo(options));
        Assert.That(args[^1], Is.EqualTo("/rec/camera0_%Y-%m-%d_%H-%M-%S" + extension));
        Assert.That(args, Does.Contain("libx264"));
    }
}
