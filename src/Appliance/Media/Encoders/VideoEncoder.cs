namespace Appliance.Media.Encoders;

/// <summary>An FFmpeg video encoder this box can really use (the probe encoded a frame with it).</summary>
/// <param name="Codec">What clients ask for: "h264" or "h265".</param>
/// <param name="Encoder">FFmpeg's name for it: h264_v4l2m2m, libx264, ...</param>
/// <param name="Hardware">A V4L2 memory-to-memory encoder (the SoC's codec block), not the CPU.</param>
public sealed record VideoEncoder(string Codec, string Encoder, bool Hardware)
{
    /// <summary>
    /// What is tried, per codec in order of preference: the hardware encoder first (it spares the
    /// CPU that the other cameras need), then the software one. <c>ffmpeg -encoders</c> lists the
    /// V4L2 ones on every build whether or not a device is behind them, so only encoding tells.
    /// </summary>
    public static readonly IReadOnlyList<VideoEncoder> Candidates =
    [
        new("h264", "h264_v4l2m2m", Hardware: true),
        new("h264", "libx264", Hardware: false),
        new("h265", "hevc_v4l2m2m", Hardware: true),
        new("h265", "libx265", Hardware: false),
    ];

    /// <summary>The codecs a recording may be transcoded to.</summary>
    public static readonly IReadOnlyList<string> Codecs = ["h264", "h265"];
}
