namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Walks a Matroska file's top levels: the EBML header, the Segment, and the Segment's children
/// (SeekHead, Info, Tracks, Tags, Clusters, Cues...). What FFmpeg 5.1's matroska muxer leaves on
/// a seekable file when it is killed: a Segment whose size is still "unknown" (8 bytes
/// 01 FF FF FF FF FF FF FF, patched only at a clean close), a Void where the SeekHead will go,
/// Info, Tracks, Tags, then Clusters each written whole with a known size (3-byte size, starting
/// with a CRC-32 and a Timestamp); the file ends inside the last Cluster, at a multiple of the
/// 256 KiB FFmpeg writes at a time. Live muxers (GStreamer's streamable mode) write Clusters of
/// unknown size instead; those are walked child by child. Only element headers are read.
/// Anything after a Segment that has a real size is cut: FFmpeg writes one Segment per file.
/// </summary>
internal static class MatroskaTailScanner
{
    /// <param name="dataEnd">Where the written data ends: the file's length, or the start of a zero-filled tail.</param>
    public static TailScan Scan(HeaderReader reader, long dataEnd)
    {
        var length = reader.Length;
        var status = EbmlElement.TryRead(reader, 0, dataEnd, out var ebml);
        if (status != HeaderStatus.Ok || ebml.Id != EbmlElement.EbmlHeader || ebml.UnknownSize || ebml.End > dataEnd)
            return Unplayable(status == HeaderStatus.Ok && ebml.End > dataEnd ? ScanMessages.Torn("EBML header", 0, ebml.Size, dataEnd - ebml.DataStart, length, dataEnd) : "no complete EBML header");

        var pos = ebml.End;
        EbmlElement segment;
        while (true)
        {
            status = EbmlElement.TryRead(reader, pos, dataEnd, out segment);
            if (status != HeaderStatus.Ok)
                return Unplayable(ScanMessages.BadHeader(status, "Segment header", pos, length, dataEnd));
            // Void may appear anywhere (RFC 8794 §11.3.2); anything else before the Segment is not Matroska.
            if (segment.Id != EbmlElement.Void || segment.UnknownSize || segment.End > dataEnd) break;
            pos = segment.End;
        }
        if (segment.Id != EbmlElement.Segment)
            return Unplayable($"{segment.Name} at {pos} where the Segment should be");

        // An unknown-size Segment runs to the end of the file (RFC 9559 §6: the muxer was killed before it wrote the size).
        var segmentEnd = segment.UnknownSize ? dataEnd : Math.Min(segment.End, dataEnd);
        pos = segment.DataStart;
        var keep = pos;
        bool info = false, tracks = false;
        var clusters = 0;
        string? problem = null;
        while (pos < segmentEnd && problem is null)
        {
            status = EbmlElement.TryRead(reader, pos, segmentEnd, out var e);
            if (status != HeaderStatus.Ok)
            {
                problem = ScanMessages.BadHeader(status, "element", pos, length, dataEnd);
                break;
            }
            if (!EbmlElement.IsSegmentChild(e.Id))
            {
                problem = $"{e.Name} at {pos} cannot be a Segment child (garbage)";
                break;
            }
            if (e.UnknownSize)
            {
                if (e.Id != EbmlElement.Cluster)
                {
                    problem = $"{e.Name} at {pos} has an unknown size";
                    break;
                }
                var open = OpenCluster.Walk(reader, e, segmentEnd, length, dataEnd);
                if (open.LastBlockEnd > 0) clusters++;
                if (open.Problem is null)
                {
                    keep = pos = open.End;
                    continue;
                }
                // Its complete blocks stay (ffprobe reads such a file without an error); without any, the cluster goes.
                problem = open.Problem;
                if (open.LastBlockEnd > 0) keep = open.LastBlockEnd;
                break;
            }
            if (e.End > segmentEnd)
            {
                problem = ScanMessages.Torn(e.Name, pos, e.Size, segmentEnd - e.DataStart, length, dataEnd);
                break;
            }
            switch (e.Id)
            {
                case EbmlElement.Cluster:
                    problem = CheckClusterStart(reader, e);
                    if (problem is null && e.Size > 0) clusters++;
                    break;
                case EbmlElement.Info:
                    info = true;
                    break;
                case EbmlElement.Tracks:
                    tracks = true;
                    break;
            }
            if (problem is null) keep = pos = e.End;
        }

        if (problem is null)
        {
            if (!segment.UnknownSize && segment.End > dataEnd)
                problem = ScanMessages.Torn("Segment", segment.Start, segment.Size, dataEnd - segment.DataStart, length, dataEnd);
            else if (!segment.UnknownSize && keep == segment.End && keep < dataEnd)
                problem = $"{length - keep} bytes after the end of the Segment";
            else if (keep < length)
                problem = ScanMessages.ZeroTail(length, dataEnd);
        }

        // A Segment with a real size (written at a clean close) that now ends early: demuxers report
        // "File ended prematurely" unless the size says where the Segment ends now.
        var fix = !segment.UnknownSize && keep < segment.End
            ? new SizeFieldFix(segment.Start + segment.IdLength, segment.SizeLength, keep - segment.DataStart)
            : null;
        return new TailScan(info && tracks, keep, clusters, problem, fix);
    }

    /// <summary>A known-size Cluster must start with a Cluster child (FFmpeg: CRC-32, then Timestamp); garbage rarely does.</summary>
    private static string? CheckClusterStart(HeaderReader reader, EbmlElement cluster)
    {
        if (cluster.Size == 0) return null;
        return EbmlElement.TryRead(reader, cluster.DataStart, cluster.End, out var first) == HeaderStatus.Ok && EbmlElement.IsClusterChild(first.Id)
            ? null
            : $"Cluster at {cluster.Start} does not start with a Cluster element (garbage)";
    }

    private static TailScan Unplayable(string problem) => new(false, 0, 0, problem);
}
