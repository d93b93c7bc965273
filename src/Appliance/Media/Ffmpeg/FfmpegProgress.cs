using System.Buffers.Text;
using Appliance.Processes;

namespace Appliance.Media.Ffmpeg;

/// <summary>
/// What FFmpeg's <c>-progress pipe:1</c> last said: blocks of <c>key=value</c> lines ending in
/// <c>progress=continue</c> (or <c>end</c>), one block per <c>-stats_period</c>. Only the keys we use
/// are kept: <c>out_time_us</c> (media time written so far; the real duration of the recording,
/// unlike wall-clock time it does not count a stream that stalls) and <c>total_size</c>.
/// Fed straight from the stdout pump's pooled buffer: no strings, no allocation per line.
/// </summary>
public sealed class FfmpegProgress : IOutputSink
{
    private readonly byte[] _line = new byte[128]; // progress lines are short; longer ones are not ours and are skipped
    private int _length;
    private bool _overlong;
    private long _outTimeUs = -1;
    private long _totalSize = -1;
    private long _blocks;

    /// <summary>Media time written, once FFmpeg has reported one.</summary>
    public TimeSpan? OutTime => Interlocked.Read(ref _outTimeUs) is >= 0 and var us ? TimeSpan.FromMicroseconds(us) : null;

    /// <summary>Bytes written as FFmpeg counts them (N/A for some muxers, e.g. segment: then null).</summary>
    public long? TotalSize => Interlocked.Read(ref _totalSize) is >= 0 and var n ? n : null;

    /// <summary>Completed progress blocks so far.</summary>
    public long Blocks => Interlocked.Read(ref _blocks);

    // Blocks end in "progress=...\n": an unterminated tail at EOF is no block, so nothing is left to do.
    public void Complete()
    {
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        foreach (var b in chunk)
        {
            if (b == (byte)'\n')
            {
                if (!_overlong) Line(_line.AsSpan(0, _length));
                _length = 0;
                _overlong = false;
            }
            else if (_length < _line.Length) _line[_length++] = b;
            else _overlong = true;
        }
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        var eq = line.IndexOf((byte)'=');
        if (eq <= 0) return;
        var key = line[..eq];
        var value = line[(eq + 1)..];
        if (key.SequenceEqual("out_time_us"u8) && Utf8Parser.TryParse(value, out long us, out var n) && n == value.Length && us >= 0)
            Interlocked.Exchange(ref _outTimeUs, us);
        else if (key.SequenceEqual("total_size"u8) && Utf8Parser.TryParse(value, out long size, out n) && n == value.Length && size >= 0)
            Interlocked.Exchange(ref _totalSize, size);
        else if (key.SequenceEqual("progress"u8))
            Interlocked.Increment(ref _blocks);
    }
}
