using System.Collections.Immutable;
using System.Net;
using Appliance.Configuration;

namespace Appliance.Rpc;

/// <summary>The live WebSocket clients, and the connection limits. Notifications are serialized
/// once by the caller and the same bytes are queued to every client; a client whose queue is full
/// loses that notification (counted for it and in get_metrics).</summary>
public sealed class ConnectionRegistry(RpcMetrics metrics)
{
    // Reservations are counted under one lock so that server.max_connections and
    // server.max_connections_per_address are exact under concurrent upgrades. The per-address table
    // holds only addresses with a live connection, so it is bounded by max_connections.
    private readonly Lock _slots = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private int _reserved;

    // Copy-on-write: connections come and go rarely, every event walks the list. A plain array walk
    // takes no lock and allocates nothing (ConcurrentDictionary.Values copies the whole set each time).
    private ImmutableArray<RpcConnection> _connections = [];

    public int Count => _connections.Length;
    public ImmutableArray<RpcConnection> All => _connections;

    /// <summary>Reserves a slot for a client at <paramref name="remote"/>, or says which limit refuses it.
    /// Loopback clients are exempt from the per-address cap unless server.limit_loopback_per_address.</summary>
    public ConnectionAdmission TryAdmit(IPAddress? remote, ServerSection server)
    {
        var address = remote is { IsIPv4MappedToIPv6: true } ? remote.MapToIPv4() : remote ?? IPAddress.None;
        var perAddressApplies = server.LimitLoopbackPerAddress || !IPAddress.IsLoopback(address);
        lock (_slots)
        {
            if (_reserved >= server.MaxConnections)
                return new ConnectionAdmission(AdmissionRefusal.Global, $"Too many connections (limit {server.MaxConnections})");
            _perAddress.TryGetValue(address, out var fromAddress);
            if (perAddressApplies && fromAddress >= server.MaxConnectionsPerAddress)
                return new ConnectionAdmission(AdmissionRefusal.PerAddress, $"Too many connections from {address} (limit {server.MaxConnectionsPerAddress})");
            _reserved++;
            _perAddress[address] = fromAddress + 1;
        }
        return new ConnectionAdmission(this, address);
    }

    internal void Release(IPAddress? address)
    {
        lock (_slots)
        {
            _reserved--;
            var key = address ?? IPAddress.None;
            if (_perAddress.TryGetValue(key, out var n))
            {
                if (n <= 1) _perAddress.Remove(key);
                else _perAddress[key] = n - 1;
            }
        }
    }

    /// <summary>Slots reserved now (admitted, upgrading or live).</summary>
    public int Reserved { get { lock (_slots) return _reserved; } }

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

    /// <summary>Ends every session bound to an API key that is no longer in the key file: the
    /// connection loses its role at once and is closed with 1008.</summary>
    public int EndRevokedApiKeySessions(Security.ApiKeyStore keys)
    {
        var ended = 0;
        foreach (var connection in _connections)
        {
            if (connection.Auth is not { } auth || Security.ApiKeyStore.KeyIdOf(auth) is not { } id || keys.IsActive(id)) continue;
            connection.Revoke();
            connection.RequestClose(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, "API key revoked");
            ended++;
        }
        return ended;
    }

    /// <summary>Closes every connection bound to this console session (logout, eviction, revocation):
    /// it loses its role at once and is closed with 1008 and <paramref name="reason"/>.</summary>
    public int EndConsoleSession(string consoleSessionId, string reason)
    {
        var ended = 0;
        foreach (var connection in _connections)
        {
            if (connection.ConsoleSessionId != consoleSessionId) continue;
            connection.Revoke();
            connection.RequestClose(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, reason);
            ended++;
        }
        return ended;
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
