using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Finds a run of zero bytes at the end of a file: what a power cut leaves when the file's length
/// reached the disk but some of its last blocks did not (they read back as zeros). Box and element
/// sizes cannot see it: a moof's mdat that "fits" in the file may still end in zeros that were
/// never written. The scanners treat such a run as missing data.
/// </summary>
internal static class ZeroTail
{
    /// <summary>
    /// Shorter runs are taken as real content: the last bytes of a sample, a Cue position or an
    /// mfro size can be a zero or two, while unwritten blocks are thousands of bytes. A complete
    /// fragment that really ends in this many zeros would be dropped with the tail: a lost second,
    /// never a broken file.
    /// </summary>
    public const int MinimumRun = 16;

    private const int FirstChunk = 4096;
    private const int Chunk = 64 * 1024;

    /// <summary>
    /// The offset where the trailing zero run starts when it is at least <see cref="MinimumRun"/>
    /// bytes long, else <paramref name="length"/>. An intact file costs one 4 KiB read (its last
    /// byte is not zero); a zero tail costs reading it, 64 KiB at a time from a pooled buffer.
    /// </summary>
    public static long DataEnd(SafeFileHandle handle, long length, ref long bytesRead)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Chunk);
        try
        {
            var end = length;
            var chunk = FirstChunk;
            while (end > 0)
            {
                var count = (int)Math.Min(chunk, end);
                var span = buffer.AsSpan(0, count);
                var read = ReadFully(handle, span, end - count);
                bytesRead += read;
                if (read < count) return length; // the file shrank under us: nothing to conclude
                var nonZero = span.LastIndexOfAnyExcept((byte)0);
                if (nonZero >= 0)
                {
                    end = end - count + nonZero + 1;
                    break;
                }
                end -= count;
                chunk = Chunk;
            }
            return length - end >= MinimumRun ? end : length;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> span, long offset)
    {
        var done = 0;
        while (done < span.Length)
        {
            var n = RandomAccess.Read(handle, span[done..], offset + done);
            if (n == 0) break;
            done += n;
        }
        return done;
    }
}
