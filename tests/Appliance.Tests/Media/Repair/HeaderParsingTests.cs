using System.Buffers.Binary;
using Appliance.Media.Recordings.Repair;
using Appliance.Tests.Support;

namespace Appliance.Tests.Media.Repair;

/// <summary>
/// The header forms ffmpeg's small test recordings never use: a 64-bit MP4 largesize (an mdat over
/// 4 GiB), an mdat still sized 0 (a muxer that patches sizes later), and EBML sizes of every width.
/// Hand-made files: no decoder is involved, only the structure.
/// </summary>
public class HeaderParsingTests
{
    private TestDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TestDirectory();

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    [Test]
    public void AnMdatWithALargesizeIsMeasuredByIt()
    {
        var whole = Mp4(Box("ftyp", new byte[8]), Box("moov", new byte[20]), Fragment(), LargeMdat(300), Fragment(), LargeMdat(200));
        var file = _dir.File("large.mp4");
        File.WriteAllBytes(file, whole);

        Assert.That(TornTailRepair.Repair(file).Outcome, Is.EqualTo(RepairOutcome.Intact));

        // One byte short of the second mdat's 64-bit size: the second fragment goes.
        File.WriteAllBytes(file, whole.AsSpan(0, whole.Length - 1));
        var result = TornTailRepair.Repair(file);
        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.NewLength, Is.EqualTo(whole.Length - 200 - 16 - Fragment().Length));
        Assert.That(result.Reason, Does.Contain("declares 216 bytes"));
    }

    [Test]
    public void AnMdatStillSizedZeroIsBeingWrittenAndGoesWithItsMoof()
    {
        var head = Mp4(Box("ftyp", new byte[8]), Box("moov", new byte[20]), Fragment(), Box("mdat", new byte[100]));
        var file = _dir.File("zero-size.mp4");
        // size 0 = "to the end of the file" (ISO/IEC 14496-12 §4.2): for an mdat, one never finished.
        File.WriteAllBytes(file, Mp4(head, Fragment(), [0, 0, 0, 0, .. "mdat"u8, .. new byte[500]]));

        var result = TornTailRepair.Repair(file);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.NewLength, Is.EqualTo(head.Length));
        Assert.That(result.Reason, Does.Contain("still has size 0"));
    }

    [Test]
    public void AMoofThatIsNotOneIsGarbage()
    {
        var head = Mp4(Box("ftyp", new byte[8]), Box("moov", new byte[20]), Fragment(), Box("mdat", new byte[100]));
        var file = _dir.File("fake-moof.mp4");
        File.WriteAllBytes(file, Mp4(head, Box("moof", Box("xxxx", new byte[8])), Box("mdat", new byte[100])));

        var result = TornTailRepair.Repair(file);

        Assert.That(result.NewLength, Is.EqualTo(head.Length), result.Reason);
        Assert.That(result.Reason, Does.Contain("does not start with an mfhd"));
    }

    [TestCase(new byte[] { 0x1F, 0x43, 0xB6, 0x75, 0x3F, 0xFF, 0xFF }, 0x1F43B675u, 7, -1L)]
    [TestCase(new byte[] { 0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 0x18538067u, 12, -1L)]
    [TestCase(new byte[] { 0x18, 0x53, 0x80, 0x67, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0xD3, 0x8B }, 0x18538067u, 12, 119691L)]
    [TestCase(new byte[] { 0xA3, 0x81 }, 0xA3u, 2, 1L)]
    [TestCase(new byte[] { 0xA3, 0xFF }, 0xA3u, 2, -1L)]
    [TestCase(new byte[] { 0xA3, 0x40, 0x02 }, 0xA3u, 3, 2L)]
    public void EbmlHeadersOfEveryWidth(byte[] bytes, uint id, int headerLength, long size)
    {
        var element = Read(bytes, out var status);
        Assert.That(status, Is.EqualTo(HeaderStatus.Ok));
        Assert.That((element.Id, element.HeaderLength, element.Size), Is.EqualTo((id, headerLength, size)));
    }

    [TestCase(new byte[] { 0x00, 0x81 }, "Invalid")]      // no VINT marker in 8 bytes: zeros, garbage
    [TestCase(new byte[] { 0x08, 0x81 }, "Invalid")]      // a 5-byte ID: Matroska IDs have at most 4
    [TestCase(new byte[] { 0xA3, 0x00 }, "Invalid")]      // a size longer than 8 bytes
    [TestCase(new byte[] { 0x1F, 0x43, 0xB6 }, "Truncated")]
    [TestCase(new byte[] { 0x1F, 0x43, 0xB6, 0x75, 0x10 }, "Truncated")]
    public void BrokenEbmlHeaders(byte[] bytes, string expected)
    {
        Read(bytes, out var status);
        Assert.That(status.ToString(), Is.EqualTo(expected));
    }

    [TestCase(8, 119691L, new byte[] { 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0xD3, 0x8B })]
    [TestCase(3, 300L, new byte[] { 0x20, 0x01, 0x2C })]
    [TestCase(1, 5L, new byte[] { 0x85 })]
    public void ASizeIsRewrittenInItsOwnWidth(int width, long value, byte[] expected) =>
        Assert.That(new SizeFieldFix(0, width, value).Encode(), Is.EqualTo(expected));

    private EbmlElement Read(byte[] bytes, out HeaderStatus status)
    {
        var file = _dir.File("element.bin");
        File.WriteAllBytes(file, bytes);
        using var handle = File.OpenHandle(file);
        status = EbmlElement.TryRead(new HeaderReader(handle, bytes.Length), 0, bytes.Length, out var element);
        return element;
    }

    private static byte[] Mp4(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Box(string type, byte[] payload)
    {
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        payload.CopyTo(box, 8);
        return box;
    }

    /// <summary>A moof holding only its mfhd (version/flags, sequence number).</summary>
    private static byte[] Fragment() => Box("moof", Box("mfhd", new byte[8]));

    /// <summary>An mdat with size 1 and a 64-bit largesize after its type.</summary>
    private static byte[] LargeMdat(int payload)
    {
        var box = new byte[16 + payload];
        BinaryPrimitives.WriteUInt32BigEndian(box, 1);
        "mdat"u8.CopyTo(box.AsSpan(4));
        BinaryPrimitives.WriteUInt64BigEndian(box.AsSpan(8), (ulong)box.Length);
        box.AsSpan(16).Fill(0x55);
        return box;
    }
}
