using System.Globalization;

namespace Appliance.Media.Recordings;

/// <summary>
/// FFmpeg's video arguments for a recording: a stream copy, or the chosen encoder with its quality.
/// Software encoders run with presets a Raspberry Pi can keep up with and a CRF (low/medium/high, or
/// the client's crf:N), or a capped bitrate when one was asked for. A V4L2 hardware encoder takes a
/// bitrate only: low/medium/high become one scaled to the camera's pixels per second. Keyframes are
/// forced on every segment boundary and at least every 2 s, so each segment starts with one and
/// segments are cut on time.
/// </summary>
public static class TranscodeArguments
{
    /// <summary>libx264's preset: a 720p30 stream fits in about one Pi 4 core; slower presets do not keep up.</summary>
    public const string X264Preset = "veryfast";

    /// <summary>libx265's preset: HEVC in software is several times heavier than H.264 at the same preset.</summary>
    public const string X265Preset = "ultrafast";

    /// <summary>The longest stretch between forced keyframes.</summary>
    public const double MaxKeyframeInterval = 2;

    /// <param name="width">The camera's picture width (with height: scales a hardware encoder's bitrate).</param>
    /// <param name="fps">The camera's frame rate (scales the bitrate; the hardware encoder's GOP).</param>
    public static List<string> For(RecordingOptions options, int width, int height, int fps, double segmentSeconds)
    {
        if (options.Encoder is not { } encoder) return ["-c", "copy"];
        var quality = options.Quality ?? new RecordingQuality(QualityKind.Level, RecordingQuality.DefaultText);
        var args = new List<string> { "-c:v", encoder.Encoder, "-pix_fmt", "yuv420p" };
        if (encoder.Encoder == "libx264") args.AddRange(["-preset", X264Preset]);
        if (encoder.Encoder == "libx265") args.AddRange(["-preset", X265Preset, "-x265-params", "log-level=error"]);

        if (encoder.Hardware)
        {
            // A CRF never reaches a hardware encoder: the resolver picks the software one for it.
            var bps = quality.Kind == QualityKind.Bitrate ? quality.BitsPerSecond : LevelBitrate(encoder.Codec, quality.Level, width, height, fps);
            args.AddRange(["-b:v", Rate(bps)]);
        }
        else if (quality.Kind == QualityKind.Bitrate)
        {
            // Average bitrate held to the asked one over a 2 s buffer: a recording's size is then predictable.
            args.AddRange(["-b:v", Rate(quality.BitsPerSecond), "-maxrate", Rate(quality.BitsPerSecond), "-bufsize", Rate(2 * quality.BitsPerSecond)]);
        }
        else
        {
            var crf = quality.Kind == QualityKind.Crf ? quality.Crf : LevelCrf(encoder.Codec, quality.Level);
            args.AddRange(["-crf", crf.ToString(CultureInfo.InvariantCulture)]);
        }

        var (span, count) = KeyframeSpacing(segmentSeconds);
        var seconds = Num(span);
        // n_forced * span / count: exact multiples of the segment length, so the boundary itself gets the keyframe.
        args.AddRange(["-force_key_frames", $"expr:gte(t,n_forced*{seconds}/{count})"]);
        // V4L2 encoders take their GOP from -g (the driver's I-frame period); forced keyframes depend on the driver.
        if (encoder.Hardware && fps > 0)
            args.AddRange(["-g", Math.Max(1, (int)Math.Round(span / count * fps)).ToString(CultureInfo.InvariantCulture)]);
        // Players (Apple's above all) look for HEVC in MP4 under the hvc1 tag.
        if (encoder.Codec == "h265" && options.Container.Muxer == "mp4") args.AddRange(["-tag:v", "hvc1"]);
        return args;
    }

    /// <summary>A keyframe every segment/count seconds: the fewest per segment that keeps them at most 2 s apart.</summary>
    public static (double Segment, int Count) KeyframeSpacing(double segmentSeconds) =>
        segmentSeconds <= MaxKeyframeInterval ? (segmentSeconds, 1) : (segmentSeconds, (int)Math.Ceiling(segmentSeconds / MaxKeyframeInterval));

    /// <summary>CRF for low/medium/high: x264's default is 23; x265's scale sits about 5 higher for the same picture.</summary>
    public static int LevelCrf(string codec, int level) => (codec, level) switch
    {
        ("h265", 0) => 33,
        ("h265", 2) => 24,
        ("h265", _) => 28,
        (_, 0) => 28,
        (_, 2) => 19,
        _ => 23,
    };

    /// <summary>
    /// Bitrate for low/medium/high on a hardware encoder, from the pixels per second: 0.04 / 0.07 /
    /// 0.12 bits per pixel for H.264 (720p30 medium is about 1.9 Mbit/s, 1080p30 about 4.4), 60 % of
    /// that for H.265. Clamped to 100k..50M; an unknown size counts as 1280x720 at 30 fps.
    /// </summary>
    public static long LevelBitrate(string codec, int level, int width, int height, int fps)
    {
        double pixelsPerSecond = (width > 0 && height > 0 ? (double)width * height : 1280 * 720) * (fps > 0 ? fps : 30);
        var bitsPerPixel = level switch { 0 => 0.04, 2 => 0.12, _ => 0.07 } * (codec == "h265" ? 0.6 : 1);
        return Math.Clamp((long)(pixelsPerSecond * bitsPerPixel), RecordingQuality.MinBitrate, RecordingQuality.MaxBitrate);
    }

    private static string Rate(long bps) => bps % 1_000_000 == 0 ? $"{bps / 1_000_000}M" : $"{bps / 1000}k";

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
