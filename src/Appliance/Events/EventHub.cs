using System.Collections.Immutable;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Events;

/// <summary>
/// The one path every event takes. Producers call <see cref="Publish"/>, which never blocks and
/// never runs anyone else's code: the event goes into a bounded queue. One dispatch loop hands
/// each event, in publication order, to every subscriber. Subscribers must be quick and must not
/// block (queue a frame, set a LED pattern, start a task); one that throws is logged and the others
/// still get the event.
///
/// The queue is bounded so a stuck subscriber can never grow memory: when it is full an event is
/// dropped and counted (<see cref="Dropped"/>). At the rates the appliance produces events (a few
/// per second, bursts of tens) it never fills.
/// </summary>
public sealed class EventHub : IDisposable
{
    public const int Capacity = 4096;

    private readonly Channel<ApplianceEvent> _queue = Channel.CreateBounded<ApplianceEvent>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite fails (and we count) instead of silently dropping
    });
    private readonly ILogger _log;
    private readonly Task _loop;
    private ImmutableArray<Subscriber> _subscribers = [];
    private long _published;
    private long _dropped;
    private long _dispatched;
    private long _failures;
    // Stopwatch timestamp at which the event being dispatched now was taken up; 0 while idle.
    private long _dispatchingSince;

    public EventHub(ILogger<EventHub>? log = null)
    {
        _log = (ILogger?)log ?? NullLogger.Instance;
        _loop = Task.Run(DispatchAsync);
    }

    public long Published => Interlocked.Read(ref _published);
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Dispatched => Interlocked.Read(ref _dispatched);
    public long SubscriberFailures => Interlocked.Read(ref _failures);

    /// <summary>
    /// How long the dispatch loop has been busy with the event in hand (zero while it waits for one),
    /// or null if the loop has ended (it only ends at Dispose). The systemd watchdog reads this: every
    /// subscriber must be quick, so a loop stuck on one event means a deadlocked or hung subscriber
    /// and the service is no longer doing its job (LEDs, notifications, STATUS= all stop).
    /// </summary>
    public TimeSpan? DispatchStall
    {
        get
        {
            if (_loop.IsCompleted) return null;
            var since = Interlocked.Read(ref _dispatchingSince);
            return since == 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(since);
        }
    }

    /// <summary>Queues the event for every subscriber; false (and counted) if the hub is full or stopped.</summary>
    public bool Publish(ApplianceEvent e)
    {
        if (_queue.Writer.TryWrite(e))
        {
            Interlocked.Increment(ref _published);
            return true;
        }
        if (Interlocked.Increment(ref _dropped) is var n && (n & (n - 1)) == 0) // 1, 2, 4, 8...: loud, not flooding
            _log.LogWarning("Event hub full or stopped: dropped {Event} ({Count} dropped so far)", e.GetType().Name, n);
        return false;
    }

    /// <summary>Calls <paramref name="handler"/> for every event, on the dispatch loop. Dispose the result to stop.</summary>
    public IDisposable Subscribe(string name, Action<ApplianceEvent> handler)
    {
        var s = new Subscriber(name, handler, this);
        ImmutableInterlocked.Update(ref _subscribers, list => list.Add(s));
        return s;
    }

    /// <summary>Calls <paramref name="handler"/> for every event of type <typeparamref name="T"/>.</summary>
    public IDisposable On<T>(string name, Action<T> handler) where T : ApplianceEvent =>
        Subscribe(name, e =>
        {
            if (e is T t) handler(t);
        });

    /// <summary>Completes once every event published before this call has been handed to every subscriber.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var marker = new FlushMarker();
        try { await _queue.Writer.WriteAsync(marker, ct).ConfigureAwait(false); }
        catch (ChannelClosedException) { return; } // stopped: nothing more will be dispatched
        await marker.Done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Blocking <see cref="FlushAsync"/> with a time limit (shutdown, tests); false if it timed out.</summary>
    public bool Flush(TimeSpan timeout)
    {
        try { return FlushAsync().Wait(timeout); }
        catch (AggregateException) { return false; }
    }

    private async Task DispatchAsync()
    {
        await foreach (var e in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (e is FlushMarker marker)
            {
                marker.Done.TrySetResult();
                continue;
            }
            Interlocked.Exchange(ref _dispatchingSince, System.Diagnostics.Stopwatch.GetTimestamp());
            foreach (var s in _subscribers)
            {
                try
                {
                    s.Handler(e);
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _failures);
                    _log.LogError(ex, "Event subscriber {Subscriber} failed on {Event}", s.Name, e.GetType().Name);
                }
            }
            Interlocked.Exchange(ref _dispatchingSince, 0);
            Interlocked.Increment(ref _dispatched);
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }

    private sealed record FlushMarker : ApplianceEvent
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Subscriber(string name, Action<ApplianceEvent> handler, EventHub hub) : IDisposable
    {
        public string Name => name;
        public Action<ApplianceEvent> Handler => handler;
        public void Dispose() => ImmutableInterlocked.Update(ref hub._subscribers, list => list.Remove(this));
    }
}
