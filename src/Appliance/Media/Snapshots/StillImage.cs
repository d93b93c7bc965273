using Appliance.Buffers;

namespace Appliance.Media.Snapshots;

/// <summary>
/// One captured still image in pooled memory, shared by every request that asked for the same
/// picture within <see cref="StillCapture.ShareWindow"/>. Reference-counted: the capture table
/// holds one reference while the image is fresh, and each <see cref="StillImageLease"/> holds one
/// while its bytes are being sent, so the array goes back to the pool only when the last reader is
/// done, never under a response that is still being written.
/// </summary>
public sealed class StillImage
{
    private readonly PooledBuffer _buffer;
    private int _references = 1; // the capture table's

    internal StillImage(PooledBuffer buffer, string format, string input, DateTimeOffset capturedAt)
    {
        _buffer = buffer;
        Format = format;
        Input = input;
        CapturedAt = capturedAt;
        Length = buffer.Length;
    }

    /// <summary>"jpg" or "png".</summary>
    public string Format { get; }

    /// <summary>Where it was read from: "stream", "device" or "pattern" (<see cref="SnapshotInput.Input"/>).</summary>
    public string Input { get; }

    public DateTimeOffset CapturedAt { get; }

    public int Length { get; }

    internal ReadOnlyMemory<byte> Bytes => _buffer.Memory;

    /// <summary>Takes another reference; false once the image has been released for good.</summary>
    internal bool TryRetain()
    {
        while (true)
        {
            var seen = Volatile.Read(ref _references);
            if (seen == 0) return false;
            if (Interlocked.CompareExchange(ref _references, seen + 1, seen) == seen) return true;
        }
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0) _buffer.Dispose();
    }
}

/// <summary>A reader's hold on a <see cref="StillImage"/>: the bytes stay valid until Dispose.</summary>
public sealed class StillImageLease : IDisposable
{
    private StillImage? _image;

    internal StillImageLease(StillImage image, bool shared)
    {
        _image = image;
        Image = image;
        Shared = shared;
    }

    public StillImage Image { get; }

    /// <summary>The encoded image. Not to be used after Dispose.</summary>
    public ReadOnlyMemory<byte> Bytes => (_image ?? throw new ObjectDisposedException(nameof(StillImageLease))).Bytes;

    /// <summary>True when this request was served by a capture another request started (or had just finished).</summary>
    public bool Shared { get; }

    public void Dispose() => Interlocked.Exchange(ref _image, null)?.Release();
}
