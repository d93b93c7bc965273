namespace Appliance.Testing.MediaMtx.Exchanges;

/// <summary>Thread-safe, in-order record of every API exchange since start (or the last Clear).</summary>
public sealed class ExchangeLog
{
    private readonly Lock _gate = new();
    private readonly List<ApiExchange> _entries = [];

    /// <summary>A snapshot: later requests do not change the returned list.</summary>
    public IReadOnlyList<ApiExchange> Entries
    {
        get { lock (_gate) return _entries.ToArray(); }
    }

    public void Clear()
    {
        lock (_gate) _entries.Clear();
    }

    internal void Add(ApiExchange exchange)
    {
        lock (_gate) _entries.Add(exchange);
    }
}
