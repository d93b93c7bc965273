using System.Collections.Immutable;

namespace Appliance.Rpc;

/// <summary>The live WebSocket clients. Notifications are serialized once by the caller and the
/// same bytes are queued to every client; a client whose queue is full loses that notification
/// (counted for it and in get_metrics).</summary>
public sealed class ConnectionRegistry(RpcMetrics metrics)
{
    // Copy-on-write: connections come and go rarely, every event walks the list. A plain array walk
    // takes no lock and allocates nothing (ConcurrentDictionary.Values copies the whole set each time).
    private ImmutableArray<RpcConnection> _connections = [];

    public int Count => _connections.Length;
    public ImmutableArray<RpcConnection> All => _connections;

    public void Add(RpcConnection connection)
    {
        ImmutableInterlocked.Update(ref _connections, list => list.Add(connection));
        metrics.ConnectionOpened();
    }

    public void Remove(RpcConnection connection)
    {
        var removed = false;
        ImmutableInterlocked.Update(ref _connections, list =>
        {
            var next = list.Remove(connection);
            removed = next.Length != list.Length;
            return next;
        });
        if (removed) metrics.ConnectionClosed();
    }

    /// <summary>Queues an already-serialized notification to one client; false (and counted) when it was dropped.</summary>
    public bool Send(RpcConnection connection, byte[] frame)
    {
        if (connection.TrySendNotification(new OutboundFrame(frame, frame.Length, Pooled: false)))
        {
            metrics.NotificationSent();
            return true;
        }
        metrics.NotificationDropped();
        return false;
    }
}
