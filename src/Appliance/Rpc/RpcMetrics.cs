using System.Collections.Concurrent;

namespace Appliance.Rpc;

/// <summary>Request and connection counters behind get_metrics; lock-free on the hot path.</summary>
public sealed class RpcMetrics
{
    private long _requests;
    private long _errors;
    private long _protocolErrors;
    private long _elapsedTicks;
    private long _connections;
    private long _totalConnections;
    private long _droppedNotifications;
    private long _sentNotifications;
    private long _cutOffClients;
    private readonly ConcurrentDictionary<string, MethodStats> _methods = new(StringComparer.Ordinal);

    public sealed class MethodStats
    {
        internal long Count;
        internal long Errors;
        internal long Ticks;
        public long CallCount => Interlocked.Read(ref Count);
        public long ErrorCount => Interlocked.Read(ref Errors);
        public double AverageMs => CallCount == 0 ? 0 : TimeSpan.FromTicks(Interlocked.Read(ref Ticks)).TotalMilliseconds / CallCount;
    }

    public void RecordRequest(string method, TimeSpan elapsed, bool isError)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _elapsedTicks, elapsed.Ticks);
        if (isError) Interlocked.Increment(ref _errors);
        // Only registered method names get a bucket, so unknown names cannot grow this map.
        if (isError && !_methods.ContainsKey(method)) return;
        var stats = _methods.GetOrAdd(method, static _ => new MethodStats());
        Interlocked.Increment(ref stats.Count);
        Interlocked.Add(ref stats.Ticks, elapsed.Ticks);
        if (isError) Interlocked.Increment(ref stats.Errors);
    }

    public void RegisterMethod(string method) => _methods.TryAdd(method, new MethodStats());

    public void RecordProtocolError()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _errors);
        Interlocked.Increment(ref _protocolErrors);
    }

    public void ConnectionOpened() { Interlocked.Increment(ref _connections); Interlocked.Increment(ref _totalConnections); }
    public void ConnectionClosed() => Interlocked.Decrement(ref _connections);
    public void NotificationDropped() => Interlocked.Increment(ref _droppedNotifications);
    public void NotificationSent() => Interlocked.Increment(ref _sentNotifications);
    public void ClientCutOff() => Interlocked.Increment(ref _cutOffClients);

    public long ActiveConnections => Interlocked.Read(ref _connections);
    public long TotalConnections => Interlocked.Read(ref _totalConnections);
    public long TotalRequests => Interlocked.Read(ref _requests);
    public long Errors => Interlocked.Read(ref _errors);
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);
    public long DroppedNotifications => Interlocked.Read(ref _droppedNotifications);
    public long SentNotifications => Interlocked.Read(ref _sentNotifications);
    public long CutOffClients => Interlocked.Read(ref _cutOffClients);
    public double AverageResponseMs => TotalRequests == 0 ? 0 : TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks)).TotalMilliseconds / TotalRequests;
    public double ErrorRate => TotalRequests == 0 ? 0 : (double)Errors / TotalRequests;
    public IEnumerable<KeyValuePair<string, MethodStats>> Methods => _methods;
}
