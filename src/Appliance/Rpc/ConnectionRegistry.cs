using System.Collections.Concurrent;

namespace Appliance.Rpc;

/// <summary>The live WebSocket clients. Notifications are serialized once by the caller and the
/// same bytes are queued to every client; a client whose queue is full loses that notification.</summary>
public sealed class ConnectionRegistry(RpcMetrics metrics)
{
    private readonly ConcurrentDictionary<string, RpcConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;
    public IEnumerable<RpcConnection> All => _connections.Values;

    public void Add(RpcConnection connection)
    {
        _connections[connection.Id] = connection;
        metrics.ConnectionOpened();
    }

    public void Remove(RpcConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _)) metrics.ConnectionClosed();
    }

    /// <summary>Queues one already-serialized notification to every client matching the filter.</summary>
    /// <returns>How many clients it was queued to.</returns>
    public int Broadcast(byte[] frame, Func<RpcConnection, bool>? filter = null)
    {
        var delivered = 0;
        foreach (var connection in _connections.Values)
        {
            if (filter is not null && !filter(connection)) continue;
            if (connection.TrySendNotification(new OutboundFrame(frame, frame.Length, Pooled: false))) delivered++;
            else metrics.NotificationDropped();
        }
        return delivered;
    }
}
