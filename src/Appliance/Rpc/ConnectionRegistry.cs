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

    /// <summary>Queues an already-serialized notification to one client; false (and counted) when it was dropped.</summary>
    public bool Send(RpcConnection connection, byte[] frame)
    {
        if (connection.TrySendNotification(new OutboundFrame(frame, frame.Length, Pooled: false))) return true;
        metrics.NotificationDropped();
        return false;
    }

    /// <summary>Queues a notification to every authenticated client (unauthenticated ones get none).</summary>
    public void SendToAuthenticated(byte[] frame)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var client in _connections.Values)
            if (client.CurrentRole(now) != Security.Role.None) Send(client, frame);
    }
}
