using Microsoft.Win32.SafeHandles;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// Reads the small pieces the repair needs (box and element headers, a few bytes each) at arbitrary
/// offsets of an open file, through one fixed 4 KiB window: a header and the next one are usually in
/// the same window (a moof is ~200 bytes and its mdat header follows it), and payloads (mdat,
/// Cluster) are jumped over, never read. Memory use does not depend on the file's size.
/// </summary>
internal sealed class HeaderReader
{
    public const int WindowSize = 4096;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _window = new byte[WindowSize];
    private long _windowStart;
    private int _windowCount;

    public HeaderReader(SafeFileHandle handle, long length)
    {
        _handle = handle;
        Length = length;
    }

    /// <summary>The file's length when the repair started (what the scanners measure completeness against).</summary>
    public long Length { get; }

    /// <summary>Bytes read from the file so far (the tests check that an intact file costs only its headers).</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Up to <paramref name="count"/> bytes at <paramref name="offset"/>: fewer only where the file
    /// ends. The span is valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Read(long offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, WindowSize);
        if (offset >= Length || count <= 0) return [];
        count = (int)Math.Min(count, Length - offset);
        if (offset < _windowStart || offset + count > _windowStart + _windowCount)
            Fill(offset);
        var from = (int)(offset - _windowStart);
        return _window.AsSpan(from, Math.Min(count, _windowCount - from));
    }

    private void Fill(long offset)
    {
        _windowStart = offset;
        _windowCount = 0;
        var want = (int)Math.Min(WindowSize, Length - offset);
        // RandomAccess.Read may return less than asked (a short read); 0 means the file is now shorter than it was.
        while (_windowCount < want)
        {
            var n = RandomAccess.Read(_handle, _window.AsSpan(_windowCount, want - _windowCount), offset + _windowCount);
            if (n == 0) break;
            _windowCount += n;
            BytesRead += n;
        }
    }
}
