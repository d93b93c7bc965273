namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// What a scanner found: how long the playable prefix is, and whether it is worth anything.
/// </summary>
/// <param name="HeaderComplete">ftyp+moov (MP4) or EBML header, Segment, Info and Tracks (Matroska) are all there.</param>
/// <param name="Keep">Length of the longest prefix that ends at a complete fragment (or box/element).</param>
/// <param name="Fragments">Complete moof+mdat pairs, or Clusters holding at least one block, in that prefix.</param>
/// <param name="Problem">The first torn or invalid thing, with its offset; null when there is none.</param>
/// <param name="SizeFix">A Matroska Segment size to rewrite so that the Segment ends where the file now does.</param>
internal sealed record TailScan(bool HeaderComplete, long Keep, int Fragments, string? Problem, SizeFieldFix? SizeFix = null)
{
    /// <summary>Set when the muxer's clean-close signature answered without walking the fragments: what it was.</summary>
    public string? CleanClose { get; init; }
}

/// <summary>
/// An EBML size field to overwrite in place: same width, new value (RFC 8794 §4: the width is in the
/// first byte's leading zeros, so a smaller value fits the same bytes and nothing else moves).
/// </summary>
internal sealed record SizeFieldFix(long Offset, int Width, long Value)
{
    public byte[] Encode()
    {
        // VINT_MARKER bit followed by VINT_DATA, big-endian, in Width bytes.
        var bytes = new byte[Width];
        var v = Value;
        for (var i = Width - 1; i >= 0; i--)
        {
            bytes[i] = (byte)v;
            v >>= 8;
        }
        bytes[0] |= (byte)(0x80 >> (Width - 1));
        return bytes;
    }
}
