namespace Appliance.Tests.Media.Repair;

/// <summary>
/// The shapes a torn recording can have, made from a clean ffmpeg recording:
/// <list type="bullet">
/// <item>mp4: as ffmpeg closed it (ftyp, moov, moof+mdat pairs, mfra).</item>
/// <item>mkv: as ffmpeg closed it: the Segment has its real size, so a cut must rewrite it.</item>
/// <item>mkv-unknown-segment: the Segment size "unknown", as a killed ffmpeg leaves it (observed: 01 FF FF FF FF FF FF FF).</item>
/// <item>mkv-open-clusters: the Segment and every Cluster of unknown size, as live muxers write them.</item>
/// </list>
/// The rewrites change size fields in place (same width), so every frame stays where it was.
/// </summary>
public static class RecordingVariants
{
    public static readonly string[] All = ["mp4", "mkv", "mkv-unknown-segment", "mkv-open-clusters"];
    public static readonly string[] Closed = ["mp4", "mkv"];

    public static string Extension(string variant) => variant.StartsWith("mkv", StringComparison.Ordinal) ? "mkv" : "mp4";

    /// <summary>Whether a repair keeps each complete block (open clusters) or only whole fragments.</summary>
    public static bool KeepsBlocks(string variant) => variant == "mkv-open-clusters";

    /// <summary>Whether a cut must rewrite the Segment size (a closed Matroska file).</summary>
    public static bool HasSegmentSize(string variant) => variant == "mkv";

    /// <summary>Writes the variant of the 4 s sample to <paramref name="path"/> and returns its bytes.</summary>
    public static byte[] Write(string variant, string path)
    {
        var bytes = File.ReadAllBytes(RecordingSamples.Clean(Extension(variant)));
        if (variant is "mkv-unknown-segment" or "mkv-open-clusters")
        {
            var (sizeAt, width) = SegmentSizeField(bytes);
            MakeUnknown(bytes, sizeAt, width);
        }
        if (variant == "mkv-open-clusters")
        {
            foreach (var (sizeAt, width) in ClusterSizeFields(bytes)) MakeUnknown(bytes, sizeAt, width);
        }
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    /// <summary>The Segment's size field: right after its ID, 18 53 80 67, near the start (RFC 9559 §5.1).</summary>
    public static (int Offset, int Width) SegmentSizeField(byte[] bytes)
    {
        var at = bytes.AsSpan(0, 64).IndexOf((ReadOnlySpan<byte>)[0x18, 0x53, 0x80, 0x67]);
        Assert.That(at, Is.GreaterThan(0), "no Segment ID");
        return (at + 4, Width(bytes[at + 4]));
    }

    /// <summary>
    /// The Clusters' size fields: the first Cluster ID (1F 43 B6 75) after the Segment header, then
    /// one Cluster after another by their sizes, until the Cues.
    /// </summary>
    public static List<(int Offset, int Width)> ClusterSizeFields(byte[] bytes)
    {
        ReadOnlySpan<byte> clusterId = [0x1F, 0x43, 0xB6, 0x75];
        var fields = new List<(int, int)>();
        var at = bytes.AsSpan().IndexOf(clusterId);
        while (at >= 0 && at + 4 < bytes.Length && bytes.AsSpan(at, 4).SequenceEqual(clusterId))
        {
            var width = Width(bytes[at + 4]);
            long size = bytes[at + 4] & (0xFF >> width);
            for (var i = 1; i < width; i++) size = (size << 8) | bytes[at + 4 + i];
            fields.Add((at + 4, width));
            at = (int)(at + 4 + width + size);
        }
        Assert.That(fields, Has.Count.GreaterThan(1), "clusters not found");
        return fields;
    }

    private static int Width(byte first) => System.Numerics.BitOperations.LeadingZeroCount((uint)first) - 23;

    /// <summary>All data bits set: "unknown size" (RFC 8794 §6.2).</summary>
    private static void MakeUnknown(byte[] bytes, int offset, int width)
    {
        bytes[offset] = (byte)(0xFF >> (width - 1));
        for (var i = 1; i < width; i++) bytes[offset + i] = 0xFF;
    }
}
