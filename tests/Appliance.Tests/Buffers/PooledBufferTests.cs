using Appliance.Buffers;

namespace Appliance.Tests.Buffers;

public class PooledBufferTests
{
    [Test]
    public void GrowsKeepingWhatWasWritten()
    {
        using var buffer = new PooledBuffer(initialCapacity: 16);
        for (var i = 0; i < 100; i++)
        {
            var span = buffer.GetSpan(1000);
            Assert.That(span.Length, Is.GreaterThanOrEqualTo(1000));
            span[..1000].Fill((byte)i);
            buffer.Advance(1000);
        }
        Assert.That(buffer.Length, Is.EqualTo(100_000));
        for (var i = 0; i < 100; i++) Assert.That(buffer.Span[i * 1000], Is.EqualTo((byte)i));
    }

    [Test]
    public void AdvancingPastTheArrayIsRefused()
    {
        using var buffer = new PooledBuffer(initialCapacity: 16);
        var free = buffer.GetSpan().Length;
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Advance(free + 1));
    }
}
