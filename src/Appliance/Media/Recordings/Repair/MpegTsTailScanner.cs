namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Checks the end of an MPEG transport stream (ISO/IEC 13818-1 §2.4.3: 188-byte packets, each
/// starting with the sync byte 0x47) as FFmpeg's recordings write it: PAT and PMT, then the video in
/// PES packets, each frame's PES starting in a new TS packet (payload_unit_start_indicator set).
/// <para>
/// A TS has no index and no trailer, so a file that ends on a whole packet is taken as whole: a
/// clean stop and a kill between two frames (flush_packets=1 writes each frame's packets together)
/// end that way. A torn file — a last packet cut short, or a zero-filled tail after a power cut — is
/// cut back to the start of its last video PES: the frame being written when it died is dropped
/// (cutting only to a whole packet would keep a partial frame, which decoders report as an error).
/// Limit: a kill inside a frame's write that happens to end on a packet boundary (the I/O blocks
/// are not multiples of 188 bytes, so this is rare) looks whole and keeps its partial last frame.
/// </para>
/// Reads only packet headers: the first 64 KiB, and backwards from the end up to the last frame start.
/// </summary>
internal static class MpegTsTailScanner
{
    public const int PacketSize = 188;
    public const byte SyncByte = 0x47;

    // The first frame's PES starts right after PAT and PMT: within a few packets of the start.
    private const long HeadLimit = 64 * 1024;
    // How far back a torn file's last frame start is looked for (a 4K keyframe is a few MB).
    private const long BackLimit = 16L * 1024 * 1024;
    // 21 packets fit in the reader's 4 KiB window.
    private const int BlockPackets = HeaderReader.WindowSize / PacketSize;

    /// <param name="dataEnd">Where the written data ends: the file's length, or the start of a zero-filled tail.</param>
    public static TailScan Scan(HeaderReader reader, long dataEnd)
    {
        var whole = dataEnd / PacketSize * PacketSize;
        if (whole == 0) return new TailScan(false, 0, 0, $"not one whole {PacketSize}-byte packet ({dataEnd} bytes written)");
        var firstFrame = FindFirstFrame(reader, Math.Min(whole, HeadLimit));
        if (whole == reader.Length)
            return new TailScan(true, whole, Packets(whole, firstFrame), null) { CleanClose = $"{whole / PacketSize} whole packets, nothing torn" };

        var problem = dataEnd < reader.Length
            ? ScanMessages.ZeroTail(reader.Length, dataEnd)
            : $"the last packet at {whole} is cut short ({dataEnd - whole} of {PacketSize} bytes)";
        var lastFrame = FindLastFrame(reader, whole);
        var keep = whole;
        if (lastFrame is { } last)
        {
            keep = last;
            problem += $"; the frame starting at {last} was being written";
        }
        return new TailScan(true, keep, Packets(keep, firstFrame), problem);
    }

    // Packets kept when at least one frame starts before the cut; none otherwise (the file holds no whole frame).
    // A file with no frame start in its first 64 KiB is not what FFmpeg writes: it is kept whole rather than judged empty.
    private static int Packets(long keep, long? firstFrame) =>
        firstFrame is { } f ? (f < keep ? (int)(keep / PacketSize) : 0)
            : keep > HeadLimit ? (int)(keep / PacketSize) : 0;

    private static long? FindFirstFrame(HeaderReader reader, long end)
    {
        for (long block = 0; block < end; block += BlockPackets * PacketSize)
        {
            var span = reader.Read(block, (int)Math.Min(BlockPackets * PacketSize, end - block));
            for (var i = 0; i + PacketSize <= span.Length; i += PacketSize)
                if (StartsVideoFrame(span.Slice(i, PacketSize))) return block + i;
        }
        return null;
    }

    private static long? FindLastFrame(HeaderReader reader, long end)
    {
        var stop = Math.Max(0, end - BackLimit / PacketSize * PacketSize); // on a packet boundary, as end is
        for (var blockEnd = end; blockEnd > stop; blockEnd -= BlockPackets * PacketSize)
        {
            var blockStart = Math.Max(stop, blockEnd - BlockPackets * PacketSize);
            var span = reader.Read(blockStart, (int)(blockEnd - blockStart));
            if (span.Length != blockEnd - blockStart) return null; // the file shrank under us: nothing to conclude
            for (var i = span.Length - PacketSize; i >= 0; i -= PacketSize)
                if (StartsVideoFrame(span.Slice(i, PacketSize))) return blockStart + i;
        }
        return null;
    }

    /// <summary>
    /// A TS packet that starts a video PES: sync byte, payload_unit_start_indicator, a payload (after
    /// any adaptation field) beginning with the PES start code 00 00 01 and a video stream_id
    /// (0xE0..0xEF, §2.4.3.7). PAT/PMT sections start with a pointer field and a table id instead.
    /// </summary>
    internal static bool StartsVideoFrame(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < PacketSize || packet[0] != SyncByte || (packet[1] & 0x40) == 0) return false;
        var control = (packet[3] >> 4) & 3;
        if (control is 0 or 2) return false; // no payload
        var payload = control == 3 ? 5 + packet[4] : 4;
        return payload + 4 <= PacketSize && packet[payload] == 0 && packet[payload + 1] == 0 && packet[payload + 2] == 1
            && packet[payload + 3] is >= 0xE0 and <= 0xEF;
    }
}
