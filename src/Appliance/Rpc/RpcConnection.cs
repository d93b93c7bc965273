using System.Buffers;
using System.Net;
using System.Threading.Channels;
using System.Threading.RateLimiting;
using Appliance.Security;

namespace Appliance.Rpc;

/// <summary>A frame waiting to be sent. Pooled frames go back to the pool once sent or dropped;
/// shared notification frames (one buffer for every client) are not pooled.</summary>
public readonly record struct OutboundFrame(byte[] Buffer, int Length, bool Pooled)
{
    public void Release()
    {
        if (Pooled) ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// One WebSocket client: its identity, the role bound to it, its rate limiter, and its bounded
/// send queue. The queue is what keeps one slow client from growing memory or holding up
/// others: notifications that do not fit are dropped (and counted); a client that does not
/// read even its replies is cut off.
/// </summary>
public sealed class RpcConnection : IDisposable
{
    private static long _nextId;
    private readonly Channel<OutboundFrame> _queue;
    private readonly CancellationTokenSource _closed = new();
    private RateLimiter _limiter;
    private long _droppedNotifications;
    private volatile bool _sendingComplete;

    public RpcConnection(IPAddress? remote, string requestHost, int queueCapacity, RateLimiter limiter)
    {
        Id = "c" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Remote = remote;
        RequestHost = requestHost;
        _limiter = limiter;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        ConnectedAt = DateTimeOffset.UtcNow;
    }

    public string Id { get; }
    public IPAddress? Remote { get; }

    /// <summary>The host name or address the client used to reach us (for stream URLs).</summary>
    public string RequestHost { get; }
    public DateTimeOffset ConnectedAt { get; }

    /// <summary>The identity bound by authenticate (or an auth header on the upgrade); null until then.</summary>
    public AuthResult? Auth { get; private set; }
    public string? SessionId { get; private set; }

    public long DroppedNotifications => Interlocked.Read(ref _droppedNotifications);
    public CancellationToken Closed => _closed.Token;
    internal ChannelReader<OutboundFrame> Outbound => _queue.Reader;

    public void Bind(AuthResult auth)
    {
        Auth = auth;
        SessionId = Guid.NewGuid().ToString();
    }

    /// <summary>The bound role, or None when unauthenticated or the credential has expired.</summary>
    public Role CurrentRole(DateTimeOffset now) =>
        Auth is { Ok: true } a && (a.ExpiresAt is null || a.ExpiresAt > now) ? a.Role : Role.None;

    public RateLimitLease TryAcquire() => _limiter.AttemptAcquire();

    public void ReplaceLimiter(RateLimiter limiter)
    {
        var old = Interlocked.Exchange(ref _limiter, limiter);
        old.Dispose();
    }

    /// <summary>Queues a reply. False means the client is not reading: the caller cuts it off.
    /// (A reply to a connection that is closing is dropped quietly.)</summary>
    public bool TrySendReply(OutboundFrame frame)
    {
        if (_queue.Writer.TryWrite(frame)) return true;
        frame.Release();
        return _sendingComplete;
    }

    /// <summary>Queues a notification, or drops it (counted) when the client is behind.</summary>
    public bool TrySendNotification(OutboundFrame frame)
    {
        if (_queue.Writer.TryWrite(frame)) return true;
        frame.Release();
        if (_sendingComplete) return true;
        Interlocked.Increment(ref _droppedNotifications);
        return false;
    }

    /// <summary>No more frames will be queued; the send loop ends once the queue is drained.</summary>
    public void CompleteSending()
    {
        _sendingComplete = true;
        _queue.Writer.TryComplete();
    }

    public void Close()
    {
        CompleteSending();
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        Close();
        while (_queue.Reader.TryRead(out var frame)) frame.Release();
        _limiter.Dispose();
        _closed.Dispose();
    }
}
