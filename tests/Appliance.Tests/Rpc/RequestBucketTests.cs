using Appliance.Configuration;
using Appliance.Rpc;

namespace Appliance.Tests.Rpc;

/// <summary>The per-connection request budget: a burst, then the per-minute rate, refilled from the clock.</summary>
public class RequestBucketTests
{
    [Test]
    public void TheBurstIsAvailableAtOnceAndNoMore()
    {
        var bucket = new RequestBucket(capacity: 5, perMinute: 1);
        var taken = Enumerable.Range(0, 8).Count(_ => bucket.TryTake());
        Assert.That(taken, Is.EqualTo(5), "five at once, then refused until the rate refills one (a minute away)");
    }

    [Test]
    public async Task TokensComeBackAtThePerMinuteRate()
    {
        // 6000 per minute = one per 10 ms: after emptying the burst, ~200 ms brings back about 20.
        var bucket = new RequestBucket(capacity: 50, perMinute: 6000);
        while (bucket.TryTake()) { }
        await Task.Delay(200);
        var refilled = 0;
        while (bucket.TryTake()) refilled++;
        Assert.That(refilled, Is.InRange(10, 50), "refilled from the elapsed time, never past the capacity");
    }

    [Test]
    public async Task ARefillNeverExceedsTheCapacity()
    {
        var bucket = new RequestBucket(capacity: 3, perMinute: 600_000);
        await Task.Delay(50);   // would be ~500 tokens without the cap
        Assert.That(Enumerable.Range(0, 10).Count(_ => bucket.TryTake()), Is.EqualTo(3));
    }

    [Test]
    public void ConfigSetsTheBudget()
    {
        var bucket = RequestBucket.For(new SecuritySection { RateLimitBurst = 2, RateLimitPerMinute = 1 });
        Assert.That(new[] { bucket.TryTake(), bucket.TryTake(), bucket.TryTake() }, Is.EqualTo(new[] { true, true, false }));
    }

    [Test]
    public void NonsenseLimitsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestBucket(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RequestBucket(10, 0));
    }
}
