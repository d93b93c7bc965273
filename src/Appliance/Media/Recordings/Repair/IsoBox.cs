using System.Buffers.Binary;
using System.Text;

namespace Appliance.Media.Recordings.Repair;

/// <summary>How reading a header at some offset went.</summary>
internal enum HeaderStatus
{
    Ok,
    /// <summary>The file (or its written part) ends inside the header.</summary>
    Truncated,
    /// <summary>The bytes cannot be a header: garbage, or zeros a power cut left.</summary>
    Invalid,
}

/// <summary>
/// An ISO BMFF box header (ISO/IEC 14496-12 §4.2): a 32-bit big-endian size that counts the
/// header too, a four-character type, and when size is 1 a 64-bit largesize after the type.
/// Size 0 means "extends to the end of the file" (only allowed for the last box).
/// </summary>
internal readonly record struct IsoBox(long Start, uint Type, int HeaderLength, long Size)
{
    public const uint Ftyp = 0x66747970, Moov = 0x6D6F6F76, Moof = 0x6D6F6F66, Mdat = 0x6D646174, Mfhd = 0x6D666864,
        Mfra = 0x6D667261, Mfro = 0x6D66726F, Tfra = 0x74667261;

    /// <summary>Size 0: the box runs to the end of the file.</summary>
    public bool ToEndOfFile => Size < 0;

    public long End => Start + Size;

    public string Name => FourCc(Type);

    public static string FourCc(uint type)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, type);
        return IsPrintable(type) ? Encoding.ASCII.GetString(b) : "0x" + type.ToString("X8", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads the header at <paramref name="offset"/>, trusting only bytes before
    /// <paramref name="limit"/>. Invalid: a size smaller than its own header, or a type that is
    /// not four printable ASCII characters (every registered box type is; zeros and random bytes
    /// almost never are).
    /// </summary>
    public static HeaderStatus TryRead(HeaderReader reader, long offset, long limit, out IsoBox box)
    {
        box = default;
        var available = limit - offset;
        var bytes = reader.Read(offset, (int)Math.Min(16, Math.Max(0, available)));
        if (bytes.Length < 8) return HeaderStatus.Truncated;
        var size32 = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var type = BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        if (!IsPrintable(type)) return HeaderStatus.Invalid;
        switch (size32)
        {
            case 0:
                box = new IsoBox(offset, type, 8, -1);
                return HeaderStatus.Ok;
            case 1:
                if (bytes.Length < 16) return HeaderStatus.Truncated;
                var large = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
                if (large < 16 || large > long.MaxValue - (ulong)offset) return HeaderStatus.Invalid;
                box = new IsoBox(offset, type, 16, (long)large);
                return HeaderStatus.Ok;
            case < 8:
                return HeaderStatus.Invalid;
            default:
                box = new IsoBox(offset, type, 8, size32);
                return HeaderStatus.Ok;
        }
    }

    private static bool IsPrintable(uint type)
    {
        for (var shift = 0; shift < 32; shift += 8)
        {
            var c = (type >> shift) & 0xFF;
            if (c is < 0x20 or > 0x7E) return false;
        }
        return true;
    }
}
