namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Recognises a Matroska file that FFmpeg closed cleanly: while writing, its Segment size is
/// "unknown" (all ones); the trailer writes the Cues, then seeks back and writes the real size.
/// A Segment whose real size ends exactly at the end of the file, after a complete header (Info,
/// Tracks) and a first Cluster, is whole without walking every Cluster: a few reads at the start
/// instead of one per cluster.
/// </summary>
internal static class MatroskaCleanClose
{
    // FFmpeg writes five or six elements before the first Cluster; anything much longer is walked.
    private const int MaxHeaderElements = 32;

    /// <summary>An intact scan when the signature is there, else null (then the clusters are walked).</summary>
    public static TailScan? TryScan(HeaderReader reader)
    {
        var length = reader.Length;
        if (EbmlElement.TryRead(reader, 0, length, out var ebml) != HeaderStatus.Ok || ebml.Id != EbmlElement.EbmlHeader || ebml.UnknownSize || ebml.End > length)
            return null;
        if (EbmlElement.TryRead(reader, ebml.End, length, out var segment) != HeaderStatus.Ok || segment.Id != EbmlElement.Segment
            || segment.UnknownSize || segment.End != length)
            return null;

        bool info = false, tracks = false;
        var pos = segment.DataStart;
        for (var i = 0; i < MaxHeaderElements && pos < length; i++)
        {
            if (EbmlElement.TryRead(reader, pos, length, out var e) != HeaderStatus.Ok || !EbmlElement.IsSegmentChild(e.Id) || e.UnknownSize || e.End > length)
                return null;
            switch (e.Id)
            {
                case EbmlElement.Info:
                    info = true;
                    break;
                case EbmlElement.Tracks:
                    tracks = true;
                    break;
                case EbmlElement.Cluster:
                    if (!info || !tracks || e.Size == 0) return null;
                    if (EbmlElement.TryRead(reader, e.DataStart, e.End, out var first) != HeaderStatus.Ok || !EbmlElement.IsClusterChild(first.Id))
                        return null;
                    return new TailScan(true, length, 1, null)
                    {
                        CleanClose = $"closed cleanly: the Segment's size ({segment.Size} bytes) ends at the end of the file",
                    };
            }
            pos = e.End;
        }
        return null;
    }
}
