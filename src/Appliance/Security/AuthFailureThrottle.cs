using System.Net;

namespace Appliance.Security;

/// <summary>
/// Failed credentials per client address, counted in one-minute windows: past
/// <c>security.auth_failures_per_minute</c> an address is refused without its credential being
/// looked at until the window ends. Every place that checks a credential a client sent uses this
/// one table (authenticate, a per-call auth_token, upgrade headers, downloads, the media-auth hook),
/// so a guesser gains nothing by switching doors or reconnecting.
/// The table is bounded: at most <see cref="Capacity"/> addresses are tracked; expired windows are
/// swept when it is full, and then the oldest window makes room. No timer runs: windows end lazily.
/// </summary>
public sealed class AuthFailureThrottle(Func<int> failuresPerMinute, TimeProvider? time = null, int capacity = 4096)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<IPAddress, (long WindowStart, int Failures)> _table = [];
    private readonly Lock _gate = new();

    public int Capacity => capacity;

    /// <summary>Addresses being tracked now (for tests and metrics).</summary>
    public int Tracked { get { lock (_gate) return _table.Count; } }

    /// <summary>True when <paramref name="address"/> has used up its failures for this window.</summary>
    public bool IsBlocked(IPAddress? address)
    {
        var key = Key(address);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            return _table.TryGetValue(key, out var entry) && !Expired(entry.WindowStart, now) && entry.Failures >= failuresPerMinute();
        }
    }

    /// <summary>Counts one failed credential from <paramref name="address"/>.</summary>
    public void RecordFailure(IPAddress? address)
    {
        var key = Key(address);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_table.TryGetValue(key, out var entry) && !Expired(entry.WindowStart, now))
            {
                _table[key] = (entry.WindowStart, entry.Failures + 1);
                return;
            }
            if (!_table.ContainsKey(key) && _table.Count >= capacity) MakeRoom(now);
            _table[key] = (now, 1);
        }
    }

    private void MakeRoom(long now)
    {
        foreach (var (address, entry) in _table)
            if (Expired(entry.WindowStart, now)) _table.Remove(address);
        if (_table.Count < capacity) return;
        var oldest = _table.MinBy(e => e.Value.WindowStart).Key;
        _table.Remove(oldest);
    }

    private bool Expired(long windowStart, long now) => _time.GetElapsedTime(windowStart, now) >= Window;

    // IPv4 clients reaching a dual-stack socket show up as ::ffff:a.b.c.d; count them as a.b.c.d.
    private static IPAddress Key(IPAddress? address) =>
        address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
