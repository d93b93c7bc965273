using Appliance.Storage;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Repairs a recording whose last fragment was torn when FFmpeg (or the whole box) died: cuts the
/// file after its last complete fragment (MP4 moof+mdat), cluster (Matroska) or frame (MPEG-TS:
/// <see cref="MpegTsTailScanner"/>), so it plays to that
/// point with no decoder errors. A file that is already whole is left byte-identical: one the muxer
/// closed cleanly costs a few reads at its two ends; one it did not (killed, so no trailer) costs
/// reading its box/element headers, one per fragment. The container is recognised from the first
/// bytes, not the file name.
/// <para>
/// Contract: a malformed file never throws, it gives an outcome (<see cref="RepairOutcome"/>).
/// Real I/O failures propagate: <see cref="FileNotFoundException"/> or
/// <see cref="DirectoryNotFoundException"/> when the file is gone, <see cref="UnauthorizedAccessException"/>,
/// or another <see cref="IOException"/>.
/// </para>
/// <para>
/// Limits: a fragment is judged by its headers (sizes that fit, a zero-filled tail), not by
/// decoding it; non-zero garbage inside the last mdat whose size is right cannot be seen, and a
/// cleanly closed file is trusted from its ends (blocks lost in its middle are not looked for).
/// </para>
/// </summary>
public static class TornTailRepair
{
    /// <summary>What <see cref="Repair"/> would do, without writing anything.</summary>
    public static RepairResult Inspect(string path) => Run(path, apply: false, out _);

    /// <summary>Cuts a torn tail off <paramref name="path"/> (then fsyncs it); a whole file is not touched.</summary>
    public static RepairResult Repair(string path) => Run(path, apply: true, out _);

    /// <summary>As <see cref="Inspect"/>, also telling how many bytes were read.</summary>
    internal static RepairResult Inspect(string path, out long bytesRead) => Run(path, apply: false, out bytesRead);

    private static RepairResult Run(string path, bool apply, out long bytesRead)
    {
        // A FIFO would block the open below, and a symlink is not a recording of ours: only regular files.
        var stat = FileStat.Of(path);
        if (stat.Type == FileType.Missing) throw new FileNotFoundException($"{path} does not exist", path);
        bytesRead = 0;
        if (!stat.IsRegular)
            return new RepairResult(path, RecordingContainer.Unknown, RepairOutcome.NotRecognised, stat.Size, stat.Size, $"not a regular file ({stat.Type})");

        Plan plan;
        // First look with a read-only handle: an intact file is never opened for writing (its
        // mtime stays, and a read-only mount is fine).
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            plan = Examine(handle, path, out bytesRead);
        if (!apply || !plan.NeedsWrite) return plan.Result;

        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        // Look again through the handle that writes: the file may have changed between the two opens.
        plan = Examine(stream.SafeFileHandle, path, out var again);
        bytesRead += again;
        if (!plan.NeedsWrite) return plan.Result;
        var scan = plan.Scan!;
        if (scan.Keep < plan.Result.OldLength) stream.SetLength(scan.Keep);
        if (scan.SizeFix is { } fix)
        {
            stream.Position = fix.Offset;
            stream.Write(fix.Encode());
        }
        // The cut must survive the next power cut too.
        stream.Flush(flushToDisk: true);
        return plan.Result with { Changed = true };
    }

    private sealed record Plan(RepairResult Result, TailScan? Scan, bool NeedsWrite);

    private static Plan Examine(SafeFileHandle handle, string path, out long bytesRead)
    {
        var length = RandomAccess.GetLength(handle);
        var reader = new HeaderReader(handle, length);
        var container = Sniff(reader);
        if (container == RecordingContainer.Unknown)
        {
            bytesRead = reader.BytesRead;
            var nothing = length == 0 || reader.Read(0, (int)Math.Min(length, 8)).IndexOfAnyExcept((byte)0) < 0;
            // Empty, or zeros from the first byte: a power cut before anything reached the disk.
            return new(nothing
                ? new RepairResult(path, container, RepairOutcome.Unplayable, length, length, length == 0 ? "empty file" : "starts with zeros: nothing was written")
                : new RepairResult(path, container, RepairOutcome.NotRecognised, length, length, "neither MP4 (ftyp), Matroska (EBML header) nor MPEG-TS (0x47 sync bytes)"), null, false);
        }

        long zeroRead = 0;
        var dataEnd = ZeroTail.DataEnd(handle, length, ref zeroRead);
        // A file the muxer closed cleanly (and with no zero tail) is recognised from its ends; only
        // the others (killed, cut short, extended) are walked fragment by fragment.
        var scan = container switch
        {
            RecordingContainer.Mp4 => (dataEnd == length ? Mp4CleanClose.TryScan(reader) : null) ?? Mp4TailScanner.Scan(reader, dataEnd),
            RecordingContainer.Matroska => (dataEnd == length ? MatroskaCleanClose.TryScan(reader) : null) ?? MatroskaTailScanner.Scan(reader, dataEnd),
            _ => MpegTsTailScanner.Scan(reader, dataEnd),
        };
        bytesRead = reader.BytesRead + zeroRead;

        if (!scan.HeaderComplete)
            return new(new RepairResult(path, container, RepairOutcome.Unplayable, length, length, "no playable content: " + scan.Problem), scan, false);

        var needsWrite = scan.Keep < length || scan.SizeFix is not null;
        var outcome = scan.Fragments == 0 ? RepairOutcome.NoFragments : needsWrite ? RepairOutcome.Trimmed : RepairOutcome.Intact;
        var reason = (outcome, needsWrite) switch
        {
            (RepairOutcome.Intact, _) => scan.CleanClose ?? $"{scan.Fragments} complete {Unit(container)}, nothing torn",
            (RepairOutcome.NoFragments, false) => $"the header is complete but there is no {Unit(container)[..^1]}",
            (RepairOutcome.NoFragments, true) => $"{scan.Problem}; no complete {Unit(container)[..^1]}, cut to the header",
            _ => $"{scan.Problem}; kept {scan.Fragments} complete {Unit(container)}" + (scan.SizeFix is null ? "" : ", Segment size rewritten"),
        };
        return new(new RepairResult(path, container, outcome, length, Math.Min(scan.Keep, length), reason), scan, needsWrite);
    }

    private static string Unit(RecordingContainer container) => container switch
    {
        RecordingContainer.Mp4 => "fragments",
        RecordingContainer.Matroska => "clusters",
        _ => "packets",
    };

    /// <summary>
    /// MP4: the first box is ftyp (ISO/IEC 14496-12 §4.3: it comes before any variable-length box).
    /// Matroska: the file starts with the EBML header's ID, 1A 45 DF A3 (RFC 8794 §8).
    /// MPEG-TS: the sync byte 0x47 at 0 and, when the file is that long, again at 188 (ISO/IEC 13818-1 §2.4.3.2).
    /// </summary>
    private static RecordingContainer Sniff(HeaderReader reader)
    {
        var head = reader.Read(0, MpegTsTailScanner.PacketSize + 1);
        if (head.Length >= 4 && head[..4].SequenceEqual((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3])) return RecordingContainer.Matroska;
        if (head.Length >= 8 && head[4..8].SequenceEqual("ftyp"u8)) return RecordingContainer.Mp4;
        if (head.Length >= 1 && head[0] == MpegTsTailScanner.SyncByte && (head.Length <= MpegTsTailScanner.PacketSize || head[MpegTsTailScanner.PacketSize] == MpegTsTailScanner.SyncByte))
            return RecordingContainer.MpegTs;
        return RecordingContainer.Unknown;
    }
}
