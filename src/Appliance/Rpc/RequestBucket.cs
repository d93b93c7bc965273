using System.Diagnostics;
using Appliance.Configuration;

namespace Appliance.Rpc;

/// <summary>
/// One connection's request budget: a token bucket that holds <c>security.rate_limit_burst</c>
/// requests and refills <c>security.rate_limit_per_minute</c> per minute. The refill is computed
/// from the clock when a request asks, never by a timer: a timer per connection (what
/// System.Threading.RateLimiting's auto-replenishing bucket uses) woke the service ten times a
/// second for every idle client and cost each one a timer's memory.
/// </summary>
public sealed class RequestBucket
{
    private readonly Lock _gate = new();
    private readonly double _capacity;
    private readonly double _perTick;   // tokens gained per Stopwatch tick
    private double _tokens;
    private long _updated;

    /// <param name="capacity">Tokens held at most (and at the start): the burst.</param>
    /// <param name="perMinute">Tokens gained per minute.</param>
    public RequestBucket(int capacity, int perMinute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(perMinute, 1);
        _capacity = capacity;
        _perTick = perMinute / 60.0 / Stopwatch.Frequency;
        _tokens = capacity;
        _updated = Stopwatch.GetTimestamp();
    }

    /// <summary>The budget <c>[security]</c> sets.</summary>
    public static RequestBucket For(SecuritySection security) => new(Math.Max(1, security.RateLimitBurst), Math.Max(1, security.RateLimitPerMinute));

    /// <summary>Takes one token if there is one; false means "rate limited".</summary>
    public bool TryTake()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (now - _updated) * _perTick);
            _updated = now;
            if (_tokens < 1) return false;
            _tokens -= 1;
            return true;
        }
    }
}
