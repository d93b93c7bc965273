using System.Buffers;

namespace Appliance.Buffers;

/// <summary>
/// Bytes gathered in one growing ArrayPool array: a child's captured stdout (a snapshot), a
/// JSON-RPC reply written by Utf8JsonWriter. Writes go straight into the free tail
/// (<see cref="GetMemory"/> / <see cref="Advance"/>), so a chunk costs no allocation; when full, the
/// array is swapped for one twice the size and the old one goes back to the pool.
/// One contiguous array (rather than a list of segments) because every consumer wants one span:
/// a snapshot is written with a single <c>AtomicFile.Write(ReadOnlySpan&lt;byte&gt;)</c>, a reply is
/// sent as one WebSocket frame; a segment list would need a final copy anyway, while doubling
/// copies each byte about once on average.
/// Dispose returns the array (or <see cref="Detach"/> hands it on); the memory must not be used after that.
/// </summary>
public sealed class PooledBuffer : IMemoryOwner<byte>, IBufferWriter<byte>
{
    private byte[] _array;
    private int _length;

    /// <param name="initialCapacity">First array rented (0 = rent on first write).</param>
    public PooledBuffer(int initialCapacity = 64 * 1024)
    {
        _array = initialCapacity > 0 ? ArrayPool<byte>.Shared.Rent(initialCapacity) : [];
    }

    /// <summary>An empty buffer that owns nothing (jobs that do not capture stdout).</summary>
    public static PooledBuffer Empty() => new(0);

    public int Length => _length;

    /// <summary>The bytes written so far.</summary>
    public Memory<byte> Memory => _array.AsMemory(0, _length);

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, _length);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    public void Advance(int count)
    {
        if (count < 0 || _length + count > _array.Length) throw new ArgumentOutOfRangeException(nameof(count));
        _length += count;
    }

    /// <summary>
    /// Hands the filled array to a new owner, who returns it to <see cref="ArrayPool{T}.Shared"/>
    /// when done (a reply frame, once sent); the buffer is left empty and rents again on the next write.
    /// </summary>
    public (byte[] Array, int Length) Detach()
    {
        var detached = (_array, _length);
        _array = [];
        _length = 0;
        return detached;
    }

    public void Dispose()
    {
        var array = _array;
        _array = [];
        _length = 0;
        if (array.Length > 0) ArrayPool<byte>.Shared.Return(array);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _length + Math.Max(sizeHint, 1);
        if (needed <= _array.Length) return;
        var doubled = (int)Math.Min(Math.Max((long)_array.Length * 2, 4096), Array.MaxLength);
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, doubled));
        _array.AsSpan(0, _length).CopyTo(bigger);
        if (_array.Length > 0) ArrayPool<byte>.Shared.Return(_array);
        _array = bigger;
    }
}
