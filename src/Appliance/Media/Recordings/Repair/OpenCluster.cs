namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// A Cluster of unknown size (RFC 8794 §6.2): it ends where an element that cannot be its child
/// begins (the next Cluster, Cues...), or at the end of the data. Its children are walked one
/// header at a time.
/// </summary>
/// <param name="End">Where the cluster ends: the next non-child element, or the end of its last complete child.</param>
/// <param name="LastBlockEnd">End of its last complete SimpleBlock/BlockGroup, or -1.</param>
/// <param name="Problem">A torn or invalid child; null when every child is complete.</param>
internal readonly record struct OpenCluster(long End, long LastBlockEnd, string? Problem)
{
    public static OpenCluster Walk(HeaderReader reader, EbmlElement cluster, long limit, long length, long dataEnd)
    {
        var pos = cluster.DataStart;
        long lastBlockEnd = -1;
        while (pos < limit)
        {
            var status = EbmlElement.TryRead(reader, pos, limit, out var child);
            if (status != HeaderStatus.Ok)
                return new(pos, lastBlockEnd, ScanMessages.BadHeader(status, "Cluster child", pos, length, dataEnd));
            // Not a child: the cluster ended here; the Segment walk judges what this is.
            if (!EbmlElement.IsClusterChild(child.Id)) return new(pos, lastBlockEnd, null);
            if (child.UnknownSize) return new(pos, lastBlockEnd, $"{child.Name} at {pos} has an unknown size");
            if (child.End > limit)
                return new(pos, lastBlockEnd, ScanMessages.Torn(child.Name, pos, child.Size, limit - child.DataStart, length, dataEnd));
            if (EbmlElement.IsBlock(child.Id)) lastBlockEnd = child.End;
            pos = child.End;
        }
        return new(pos, lastBlockEnd, null);
    }
}
