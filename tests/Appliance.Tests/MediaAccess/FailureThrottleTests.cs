using Appliance.MediaAccess;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.MediaAccess;

public class FailureThrottleTests
{
    [Test]
    public void AnAddressIsBlockedAtTheLimitForOneMinute()
    {
        var time = new FakeTimeProvider();
        var throttle = new FailureThrottle(time: time);
        for (var i = 0; i < 3; i++)
        {
            Assert.That(throttle.IsBlocked("a", 3), Is.False);
            throttle.RecordFailure("a");
        }
        Assert.That(throttle.IsBlocked("a", 3), Is.True);
        Assert.That(throttle.IsBlocked("b", 3), Is.False);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(throttle.IsBlocked("a", 3), Is.True);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(throttle.IsBlocked("a", 3), Is.False);
    }

    [Test]
    public void TheTableStaysWithinItsCapacityWhateverAddressesAClientMakesUp()
    {
        var time = new FakeTimeProvider();
        var throttle = new FailureThrottle(capacity: 8, time: time);
        for (var i = 0; i < 3; i++) throttle.RecordFailure("attacker-0");
        for (var i = 1; i <= 1000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            throttle.RecordFailure($"made-up-{i}");
            Assert.That(throttle.Count, Is.LessThanOrEqualTo(8));
        }
        // The newest ones are what is kept.
        throttle.RecordFailure("made-up-1000");
        Assert.That(throttle.IsBlocked("made-up-1000", 2), Is.True);
    }

    [Test]
    public void FinishedWindowsMakeRoomBeforeLiveOnes()
    {
        var time = new FakeTimeProvider();
        var throttle = new FailureThrottle(capacity: 2, time: time);
        throttle.RecordFailure("old");
        time.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 5; i++) throttle.RecordFailure("live");
        throttle.RecordFailure("new");   // full: "old" (finished window) goes, "live" stays blocked
        Assert.That(throttle.IsBlocked("live", 5), Is.True);
        Assert.That(throttle.Count, Is.EqualTo(2));
    }
}
