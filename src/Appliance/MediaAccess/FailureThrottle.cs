namespace Appliance.MediaAccess;

/// <summary>
/// Wrong media credentials per client address in fixed one-minute windows, like the WebSocket
/// authenticate limit (security.auth_failures_per_minute). The table is capped: a client that
/// makes up addresses cannot grow it; when full, finished windows go first, then the oldest.
/// </summary>
public sealed class FailureThrottle(int capacity = 1024, TimeProvider? time = null)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (DateTimeOffset Start, int Failures)> _byAddress = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int Count { get { lock (_gate) return _byAddress.Count; } }

    /// <summary>True when the address already used up its failures in the current window.</summary>
    public bool IsBlocked(string address, int limit)
    {
        lock (_gate)
            return _byAddress.TryGetValue(address, out var entry) && !Expired(entry.Start) && entry.Failures >= limit;
    }

    public void RecordFailure(string address)
    {
        lock (_gate)
        {
            if (_byAddress.TryGetValue(address, out var entry) && !Expired(entry.Start))
            {
                _byAddress[address] = (entry.Start, entry.Failures + 1);
                return;
            }
            if (!_byAddress.ContainsKey(address) && _byAddress.Count >= capacity) MakeRoom();
            _byAddress[address] = (_time.GetUtcNow(), 1);
        }
    }

    private bool Expired(DateTimeOffset start) => _time.GetUtcNow() - start >= Window;

    private void MakeRoom()
    {
        foreach (var address in _byAddress.Where(e => Expired(e.Value.Start)).Select(e => e.Key).ToList())
            _byAddress.Remove(address);
        if (_byAddress.Count < capacity) return;
        var oldest = _byAddress.MinBy(e => e.Value.Start).Key;
        _byAddress.Remove(oldest);
    }
}
