namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Walks the top-level boxes of a fragmented MP4 as FFmpeg's recordings write it
/// (movflags=+frag_keyframe+empty_moov+default_base_moof): ftyp, a moov without samples, then one
/// moof+mdat pair per keyframe interval (ISO/IEC 14496-12 §8.8: a movie fragment is a moof box and
/// the mdat holding its samples), and an mfra index only when FFmpeg closed the file cleanly.
/// Only headers are read; an mdat's payload is jumped over.
/// </summary>
internal static class Mp4TailScanner
{
    /// <param name="dataEnd">Where the written data ends: the file's length, or the start of a zero-filled tail.</param>
    public static TailScan Scan(HeaderReader reader, long dataEnd)
    {
        long pos = 0, keep = 0;
        var moov = false;
        var fragments = 0;
        string? problem = null;
        while (pos < dataEnd && problem is null)
        {
            var status = IsoBox.TryRead(reader, pos, dataEnd, out var box);
            if (status != HeaderStatus.Ok)
            {
                problem = ScanMessages.BadHeader(status, "box", pos, reader.Length, dataEnd);
                break;
            }
            if (box.ToEndOfFile)
            {
                // A muxer that does not know the size yet writes 0 and patches it later: an mdat
                // (or moof) still sized 0 was being written when the process died.
                if (box.Type is IsoBox.Moof or IsoBox.Mdat)
                {
                    problem = $"{box.Name} at {pos} still has size 0 (never finished)";
                    break;
                }
                // Any other box may legitimately be the last one and run to the end of the file.
                keep = pos = reader.Length;
                break;
            }
            if (box.End > dataEnd)
            {
                problem = Torn(box, reader.Length, dataEnd);
                break;
            }
            switch (box.Type)
            {
                case IsoBox.Moov:
                    moov = true;
                    keep = pos = box.End;
                    break;
                case IsoBox.Moof:
                    problem = CheckFragment(reader, box, dataEnd, moov, out var fragmentEnd);
                    if (problem is not null) break;
                    fragments++;
                    keep = pos = fragmentEnd;
                    break;
                case IsoBox.Mdat:
                    // Samples the moov refers to (a non-fragmented file): media without a moof.
                    fragments++;
                    keep = pos = box.End;
                    break;
                default:
                    // ftyp, free/skip, sidx, mfra...: complete, so kept.
                    keep = pos = box.End;
                    break;
            }
        }
        if (!moov && problem is null)
            problem = "no moov box (the movie header never reached the disk)";
        else if (problem is null && keep < reader.Length)
            problem = ScanMessages.ZeroTail(reader.Length, dataEnd);
        return new TailScan(moov, keep, fragments, problem);
    }

    /// <summary>
    /// A fragment counts only when the moof is one (its first child is the mfhd every moof must
    /// hold, ISO/IEC 14496-12 §8.8.5), it comes after the moov that describes its tracks, and the
    /// mdat right after it is complete.
    /// </summary>
    private static string? CheckFragment(HeaderReader reader, IsoBox moof, long dataEnd, bool moovSeen, out long end)
    {
        end = moof.End;
        if (!moovSeen) return $"moof at {moof.Start} comes before any moov";
        if (IsoBox.TryRead(reader, moof.Start + moof.HeaderLength, moof.End, out var first) != HeaderStatus.Ok || first.Type != IsoBox.Mfhd)
            return $"moof at {moof.Start} does not start with an mfhd: not a movie fragment";
        var status = IsoBox.TryRead(reader, moof.End, dataEnd, out var mdat);
        if (status != HeaderStatus.Ok)
            return $"moof at {moof.Start} has no complete mdat: " + ScanMessages.BadHeader(status, "mdat header", moof.End, reader.Length, dataEnd);
        if (mdat.Type != IsoBox.Mdat) return $"moof at {moof.Start} is followed by {mdat.Name}, not its mdat";
        if (mdat.ToEndOfFile) return $"mdat at {mdat.Start} still has size 0 (never finished)";
        if (mdat.End > dataEnd) return Torn(mdat, reader.Length, dataEnd);
        end = mdat.End;
        return null;
    }

    private static string Torn(IsoBox box, long length, long dataEnd) =>
        ScanMessages.Torn(box.Name, box.Start, box.Size, dataEnd - box.Start, length, dataEnd);
}
