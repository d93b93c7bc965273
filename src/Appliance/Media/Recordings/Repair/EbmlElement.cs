using System.Globalization;
using System.Numerics;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// An EBML element header (RFC 8794 §4–6): an Element ID and an Element Data Size, each a
/// variable-size integer whose length is one more than the leading zero bits of its first byte.
/// The ID keeps its marker bit and is at most 4 bytes in Matroska (EBMLMaxIDLength); the size is
/// at most 8 bytes, and a size whose data bits are all ones means "unknown" (§6.2: the element
/// runs until something that cannot be its child appears).
/// </summary>
internal readonly record struct EbmlElement(long Start, uint Id, int IdLength, int SizeLength, long Size)
{
    public const uint EbmlHeader = 0x1A45DFA3;
    public const uint Segment = 0x18538067;

    // Matroska (RFC 9559 §5.1) level-1 elements: the Segment's children.
    public const uint SeekHead = 0x114D9B74, Info = 0x1549A966, Tracks = 0x1654AE6B, Cluster = 0x1F43B675,
        Cues = 0x1C53BB6B, Tags = 0x1254C367, Chapters = 0x1043A770, Attachments = 0x1941A469;

    // Global elements allowed anywhere (RFC 8794 §11.3).
    public const uint Void = 0xEC, Crc32 = 0xBF;

    // A Cluster's children (RFC 9559 §5.1.3).
    public const uint Timestamp = 0xE7, SilentTracks = 0x5854, Position = 0xA7, PrevSize = 0xAB,
        SimpleBlock = 0xA3, BlockGroup = 0xA0, EncryptedBlock = 0xAF;

    public bool UnknownSize => Size < 0;

    public int HeaderLength => IdLength + SizeLength;

    public long DataStart => Start + HeaderLength;

    public long End => DataStart + Size;

    public string Name => Id switch
    {
        EbmlHeader => "EBML header",
        Segment => "Segment",
        SeekHead => "SeekHead",
        Info => "Info",
        Tracks => "Tracks",
        Cluster => "Cluster",
        Cues => "Cues",
        Tags => "Tags",
        Chapters => "Chapters",
        Attachments => "Attachments",
        Void => "Void",
        Crc32 => "CRC-32",
        SimpleBlock => "SimpleBlock",
        BlockGroup => "BlockGroup",
        Timestamp => "Timestamp",
        _ => "element 0x" + Id.ToString("X", CultureInfo.InvariantCulture),
    };

    public static bool IsSegmentChild(uint id) => id is SeekHead or Info or Tracks or Cluster or Cues or Tags or Chapters or Attachments or Void or Crc32;

    public static bool IsClusterChild(uint id) => id is Timestamp or SilentTracks or Position or PrevSize or SimpleBlock or BlockGroup or EncryptedBlock or Void or Crc32;

    public static bool IsBlock(uint id) => id is SimpleBlock or BlockGroup or EncryptedBlock;

    /// <summary>Reads the header at <paramref name="offset"/>, trusting only bytes before <paramref name="limit"/>.</summary>
    public static HeaderStatus TryRead(HeaderReader reader, long offset, long limit, out EbmlElement element)
    {
        element = default;
        var bytes = reader.Read(offset, (int)Math.Clamp(limit - offset, 0, 12));
        if (bytes.Length == 0) return HeaderStatus.Truncated;

        // A first byte of 0 would announce a VINT longer than 8 bytes: never valid (zeros, garbage).
        var idLength = BitOperations.LeadingZeroCount((uint)bytes[0]) - 24 + 1;
        if (bytes[0] == 0 || idLength > 4) return HeaderStatus.Invalid;
        if (bytes.Length < idLength + 1) return HeaderStatus.Truncated;
        uint id = 0;
        for (var i = 0; i < idLength; i++) id = (id << 8) | bytes[i];

        var first = bytes[idLength];
        if (first == 0) return HeaderStatus.Invalid;
        var sizeLength = BitOperations.LeadingZeroCount((uint)first) - 24 + 1;
        if (bytes.Length < idLength + sizeLength) return HeaderStatus.Truncated;
        long size = first & (0xFF >> sizeLength);
        var allOnes = size == 0xFF >> sizeLength;
        for (var i = 1; i < sizeLength; i++)
        {
            var b = bytes[idLength + i];
            size = (size << 8) | b;
            allOnes &= b == 0xFF;
        }
        element = new EbmlElement(offset, id, idLength, sizeLength, allOnes ? -1 : size);
        return HeaderStatus.Ok;
    }
}
