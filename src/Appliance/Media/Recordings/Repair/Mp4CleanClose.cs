using System.Buffers.Binary;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Recognises a fragmented MP4 that FFmpeg closed cleanly, from its two ends: ftyp and a complete
/// moov at the start, and at the very end the mfra index FFmpeg writes only in its trailer, after
/// the last fragment. The last 16 bytes are the mfro box, which holds the mfra's size (ISO/IEC
/// 14496-12 §8.8.11) so the mfra can be found from the end. Such a file is whole without walking
/// its fragments: two or three reads instead of one per fragment, which matters at every start
/// for hours-long segments with a fragment per keyframe.
/// </summary>
internal static class Mp4CleanClose
{
    private const int MfroSize = 16;

    /// <summary>An intact scan when the signature is there, else null (then the fragments are walked).</summary>
    public static TailScan? TryScan(HeaderReader reader)
    {
        var length = reader.Length;
        var headerEnd = HeaderEnd(reader);
        if (headerEnd < 0 || length - headerEnd < 2 * MfroSize) return null;

        var mfro = reader.Read(length - MfroSize, MfroSize);
        if (mfro.Length < MfroSize || BinaryPrimitives.ReadUInt32BigEndian(mfro) != MfroSize || BinaryPrimitives.ReadUInt32BigEndian(mfro[4..]) != IsoBox.Mfro)
            return null;
        long mfraSize = BinaryPrimitives.ReadUInt32BigEndian(mfro[12..]);
        var mfraStart = length - mfraSize;
        if (mfraSize < 2 * MfroSize || mfraStart < headerEnd) return null;
        if (IsoBox.TryRead(reader, mfraStart, length, out var mfra) != HeaderStatus.Ok || mfra.Type != IsoBox.Mfra || mfra.End != length)
            return null;

        // The first tfra (§8.8.10): size, type, version+flags, track_ID, field lengths, number_of_entry.
        // FFmpeg writes one entry per fragment, and every fragment of ours starts at a keyframe.
        var tfra = reader.Read(mfraStart + mfra.HeaderLength, 24);
        if (tfra.Length < 24 || BinaryPrimitives.ReadUInt32BigEndian(tfra[4..]) != IsoBox.Tfra) return null;
        var entries = BinaryPrimitives.ReadUInt32BigEndian(tfra[20..]);
        var fragments = (int)Math.Min(entries, int.MaxValue);
        return new TailScan(true, length, fragments, null)
        {
            CleanClose = $"closed cleanly: the mfra index at {mfraStart} lists {entries} fragments",
        };
    }

    /// <summary>End of the moov when the boxes before it (FFmpeg: just the ftyp) and it are complete; else -1.</summary>
    private static long HeaderEnd(HeaderReader reader)
    {
        long pos = 0;
        for (var i = 0; i < 4; i++)
        {
            if (IsoBox.TryRead(reader, pos, reader.Length, out var box) != HeaderStatus.Ok || box.ToEndOfFile || box.End > reader.Length)
                return -1;
            if (box.Type is IsoBox.Moof or IsoBox.Mdat) return -1;
            pos = box.End;
            if (box.Type == IsoBox.Moov) return pos;
        }
        return -1;
    }
}
