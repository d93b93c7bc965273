using System.Buffers;

namespace Appliance.Rpc;

/// <summary>An IBufferWriter over ArrayPool arrays, so replies are built without per-message
/// garbage. <see cref="Detach"/> hands the array to the send queue, which returns it to the pool.</summary>
public sealed class PooledBufferWriter(int initialCapacity = 1024) : IBufferWriter<byte>
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    private int _written;

    public int WrittenCount => _written;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Reset() => _written = 0;

    /// <summary>Gives the filled array away as a pooled frame and starts a fresh one.</summary>
    public OutboundFrame Detach()
    {
        var frame = new OutboundFrame(_buffer, _written, Pooled: true);
        _buffer = ArrayPool<byte>.Shared.Rent(1024);
        _written = 0;
        return frame;
    }

    public void Return()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        _written = 0;
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
