namespace Appliance.Media.Encoders;

/// <summary>What this box's FFmpeg was found able to do.</summary>
/// <param name="Encoders">Encoders that encoded the test frame, in order of preference (hardware first per codec).</param>
/// <param name="Containers">Containers (mp4, mkv, ts) the test frame could be written in.</param>
/// <param name="ImageFormats">Snapshot formats (jpg, png) the test frame could be encoded in.</param>
/// <param name="Complete">The probe has finished; until then the lists hold what is confirmed so far.</param>
public sealed record MediaCapabilities(IReadOnlyList<VideoEncoder> Encoders, IReadOnlyList<string> Containers, IReadOnlyList<string> ImageFormats, bool Complete)
{
    public static readonly MediaCapabilities None = new([], [], [], Complete: false);

    /// <summary>The encoder a recording of <paramref name="codec"/> uses: the first that works (hardware preferred).</summary>
    public VideoEncoder? EncoderFor(string codec, bool softwareOnly = false) =>
        Encoders.FirstOrDefault(e => e.Codec == codec && (!softwareOnly || !e.Hardware));

    /// <summary>"h264 (h264_v4l2m2m, libx264), h265 (libx265)", or "none".</summary>
    public string Describe() =>
        Encoders.Count == 0 ? "none"
            : string.Join(", ", Encoders.GroupBy(e => e.Codec).Select(g => $"{g.Key} ({string.Join(", ", g.Select(e => e.Encoder))})"));
}
