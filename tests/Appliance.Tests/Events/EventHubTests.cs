using Appliance.Events;

namespace Appliance.Tests.Events;

/// <summary>The hub on its own: order, isolation of a failing subscriber, flush, and the bound on its queue.</summary>
public class EventHubTests
{
    private sealed record Numbered(int N) : ApplianceEvent;

    [Test]
    public void EverySubscriberGetsEveryEventInPublicationOrder()
    {
        using var hub = new EventHub();
        var a = new List<int>();
        var b = new List<int>();
        using var sa = hub.On<Numbered>("a", e => a.Add(e.N));
        using var sb = hub.On<Numbered>("b", e => b.Add(e.N));
        for (var i = 0; i < 1000; i++) hub.Publish(new Numbered(i));
        Assert.That(hub.Flush(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(a, Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(b, Is.EqualTo(a));
        Assert.That((hub.Published, hub.Dispatched, hub.Dropped), Is.EqualTo((1000L, 1000L, 0L)));
    }

    [Test]
    public void ASubscriberThatThrowsIsCountedAndTheOthersStillGetTheEvent()
    {
        using var hub = new EventHub();
        var got = new List<int>();
        using var bad = hub.On<Numbered>("bad", e => { if (e.N == 1) throw new InvalidOperationException("boom"); });
        using var good = hub.On<Numbered>("good", e => got.Add(e.N));
        for (var i = 0; i < 3; i++) hub.Publish(new Numbered(i));
        hub.Flush(TimeSpan.FromSeconds(5));
        Assert.That(got, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(hub.SubscriberFailures, Is.EqualTo(1));
    }

    [Test]
    public void AnUnsubscribedHandlerGetsNothingMore()
    {
        using var hub = new EventHub();
        var got = new List<int>();
        var sub = hub.On<Numbered>("x", e => got.Add(e.N));
        hub.Publish(new Numbered(1));
        hub.Flush(TimeSpan.FromSeconds(5));
        sub.Dispose();
        hub.Publish(new Numbered(2));
        hub.Flush(TimeSpan.FromSeconds(5));
        Assert.That(got, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void AStuckSubscriberNeverGrowsTheQueueBeyondItsCapacity()
    {
        using var hub = new EventHub();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var stuck = hub.On<Numbered>("stuck", _ => { entered.Set(); release.Wait(); });
        Assert.That(hub.Publish(new Numbered(0)), Is.True);
        Assert.That(entered.Wait(TimeSpan.FromSeconds(5)), Is.True, "the loop took the first event");
        var accepted = Enumerable.Range(1, EventHub.Capacity + 10).Count(i => hub.Publish(new Numbered(i)));
        Assert.That(accepted, Is.EqualTo(EventHub.Capacity), "the queue holds Capacity events, no more");
        Assert.That(hub.Dropped, Is.EqualTo(10));
        release.Set();
        Assert.That(hub.Flush(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(hub.Dispatched, Is.EqualTo(EventHub.Capacity + 1));
    }

    [Test]
    public async Task AStuckSubscriberShowsAsADispatchStallThatTheWatchdogCheckReports()
    {
        using var hub = new EventHub();
        Assert.That(hub.DispatchStall, Is.EqualTo(TimeSpan.Zero), "idle");
        Assert.That(Appliance.Hosting.SystemdNotifications.Unresponsive(hub, TimeSpan.FromMilliseconds(100)), Is.Null);

        using var release = new ManualResetEventSlim();
        using var _ = hub.On<Numbered>("stuck", n => { if (n.N == 1) release.Wait(); });
        hub.Publish(new Numbered(1));
        await Task.Delay(300);
        Assert.That(hub.DispatchStall, Is.GreaterThan(TimeSpan.FromMilliseconds(250)));
        Assert.That(Appliance.Hosting.SystemdNotifications.Unresponsive(hub, TimeSpan.FromMilliseconds(100)), Does.Contain("stuck on one event"));

        release.Set();
        Assert.That(await hub.FlushAsync().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully), Is.True);
        Assert.That(hub.DispatchStall, Is.EqualTo(TimeSpan.Zero), "responsive again");
    }

    [Test]
    public void AStoppedHubIsReportedAsUnresponsive()
    {
        var hub = new EventHub();
        hub.Dispose();
        Assert.That(hub.DispatchStall, Is.Null);
        Assert.That(Appliance.Hosting.SystemdNotifications.Unresponsive(hub, TimeSpan.FromSeconds(1)), Does.Contain("stopped"));
    }
}
