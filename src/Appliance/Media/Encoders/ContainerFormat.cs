namespace Appliance.Media.Encoders;

/// <summary>A container recordings can be written in.</summary>
/// <param name="Name">As the API and file names spell it: mp4, mkv, ts.</param>
/// <param name="Muxer">FFmpeg's muxer: mp4, matroska, mpegts.</param>
/// <param name="MuxerOptions">Options the recording's muxer gets (and the probe writes its frame with).</param>
public sealed record ContainerFormat(string Name, string Muxer, IReadOnlyList<KeyValuePair<string, string>> MuxerOptions)
{
    // flush_packets=1 hands each fragment (MP4), cluster (Matroska) or PES packet (MPEG-TS) to the
    // kernel as soon as the muxer finishes it. Without it FFmpeg's I/O buffer goes out in blocks that
    // ignore those boundaries, and a kill leaves half of one at the end of the file.
    public static readonly ContainerFormat Mp4 = new("mp4", "mp4",
        [new("movflags", "+frag_keyframe+empty_moov+default_base_moof"), new("flush_packets", "1")]);
    public static readonly ContainerFormat Matroska = new("mkv", "matroska", [new("flush_packets", "1")]);
    public static readonly ContainerFormat MpegTs = new("ts", "mpegts", [new("flush_packets", "1")]);

    public static readonly IReadOnlyList<ContainerFormat> All = [Mp4, Matroska, MpegTs];

    /// <summary>The container of a format a client or the config names; "fmp4" is MP4 (every MP4 here is fragmented).</summary>
    public static ContainerFormat? ForFormat(string format) => format switch
    {
        "mp4" or "fmp4" => Mp4,
        "mkv" => Matroska,
        "ts" => MpegTs,
        _ => null,
    };

    /// <summary>Every format name a client may send.</summary>
    public static readonly IReadOnlyList<string> FormatNames = ["mp4", "fmp4", "mkv", "ts"];
}
