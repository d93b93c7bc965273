using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Appliance.Security;

namespace Appliance.Rpc;

/// <summary>A frame waiting to be sent. Pooled frames go back to the pool once sent or dropped;
/// shared notification frames (one buffer for every client) are not pooled.</summary>
public readonly record struct OutboundFrame(byte[] Buffer, int Length, bool Pooled, bool Notification = false)
{
    public void Release()
    {
        if (Pooled) ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// One WebSocket client: its identity, the role bound to it, its request budget, and its bounded
/// send queue. The queue is what keeps one slow client from growing memory or holding up
/// others. Replies and notifications share one FIFO (so they go out in the order they were made)
/// but each has its own budget: notifications past theirs are dropped (and counted), so a burst of
/// them never crowds out a reply. Replies are never dropped: every request first takes a reply
/// slot (<see cref="ReserveReplySlotAsync"/>), so a client that sends faster than it reads is
/// simply not read from until it catches up (backpressure), and only one that stops reading
/// altogether is cut off, by the send loop's timeout.
/// </summary>
public sealed class RpcConnection : IDisposable
{
    private static long _nextId;
    private readonly Channel<OutboundFrame> _queue;
    private readonly int _notificationCapacity;
    private int _queuedReplies;
    private int _queuedNotifications;
    private readonly CancellationTokenSource _closed = new();
    private RequestBucket _requests;
    private long _droppedNotifications;
    private volatile bool _sendingComplete;
    private volatile Notifications.EventSubscription? _subscription;
    private readonly SemaphoreSlim _replySlots;
    private CloseRequest? _closeRequest;
    private volatile bool _revoked;

    public RpcConnection(IPAddress? remote, string requestHost, int replyCapacity, int notificationCapacity, RequestBucket requests)
    {
        _notificationCapacity = notificationCapacity;
        Id = "c" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Remote = remote;
        RequestHost = requestHost;
        _requests = requests;
        _replySlots = new SemaphoreSlim(replyCapacity, replyCapacity);
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(replyCapacity + notificationCapacity)
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

    /// <summary>Frames waiting to be sent; never more than the two budgets together.</summary>
    public int QueuedFrames => _queue.Reader.Count;

    /// <summary>Notifications waiting to be sent; never more than server.notification_queue_capacity.</summary>
    public int QueuedNotifications => Volatile.Read(ref _queuedNotifications);

    /// <summary>The topics chosen with subscribe_events; null while the connection never subscribed
    /// (it then receives the v1 notifications only).</summary>
    public Notifications.EventSubscription? Subscription
    {
        get => _subscription;
        set => _subscription = value;
    }
    public CancellationToken Closed => _closed.Token;

    /// <summary>How this connection is to be closed, once something asked (the first reason wins).</summary>
    public CloseRequest? PendingClose => Volatile.Read(ref _closeRequest);

    /// <summary>True once any credential was accepted on this connection (authenticate, an upgrade
    /// header, or a per-call auth_token): the authentication deadline no longer applies.</summary>
    public bool HasAuthenticated { get; private set; }

    /// <summary>The next frame to send, if any (the send loop; frees its place in the queue's budget,
    /// and a reply its slot, so the receive loop may take the next request).</summary>
    internal bool TryTakeNext(out OutboundFrame frame)
    {
        if (!_queue.Reader.TryRead(out frame)) return false;
        if (frame.Notification) Interlocked.Decrement(ref _queuedNotifications);
        else
        {
            Interlocked.Decrement(ref _queuedReplies);
            ReleaseReplySlot();
        }
        return true;
    }

    /// <summary>Waits until a reply to one more request has room in the queue. The receive loop
    /// calls this before it reads the next request: that is the backpressure.</summary>
    internal Task ReserveReplySlotAsync(CancellationToken ct) => _replySlots.WaitAsync(ct);

    /// <summary>Gives back a slot whose request produced no reply (a notification-only message).</summary>
    internal void ReleaseReplySlot()
    {
        try { _replySlots.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>Asks for the connection to be closed with <paramref name="status"/>: nothing more is
    /// queued, what is queued still goes out (unless <paramref name="dropQueued"/>), then the close
    /// frame. The first request wins; later ones are ignored.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason, bool dropQueued = false)
    {
        if (Interlocked.CompareExchange(ref _closeRequest, new CloseRequest(status, reason), null) is not null) return;
        CompleteSending();
        if (dropQueued)
            while (TryTakeNext(out var frame)) frame.Release();
    }

    /// <summary>The credential this connection is bound to was revoked: it has no role from now on.</summary>
    public void Revoke() => _revoked = true;

    internal ValueTask<bool> WaitToSendAsync(CancellationToken ct) => _queue.Reader.WaitToReadAsync(ct);

    public void Bind(AuthResult auth)
    {
        Auth = auth;
        SessionId = Guid.NewGuid().ToString();
        ConsoleSessionId = null;   // a credential of its own: no longer tied to a console session
        _revoked = false;
        HasAuthenticated = true;
    }

    /// <summary>The console session (cookie) this connection was authenticated with on the upgrade, if any:
    /// ending that session closes the connection.</summary>
    public string? ConsoleSessionId { get; private set; }

    /// <summary>Authenticated by a console session cookie: its role, until the session's end.</summary>
    public void BindConsoleSession(AuthResult sessionAuth, string consoleSessionId)
    {
        Bind(sessionAuth);
        ConsoleSessionId = consoleSessionId;
    }

    /// <summary>A per-call credential was accepted: the connection is not anonymous.</summary>
    public void MarkAuthenticated() => HasAuthenticated = true;

    /// <summary>The bound role, or None when unauthenticated, revoked, or the credential has expired.</summary>
    public Role CurrentRole(DateTimeOffset now) =>
        !_revoked && Auth is { Ok: true } a && (a.ExpiresAt is null || a.ExpiresAt > now) ? a.Role : Role.None;

    /// <summary>Takes one request from the connection's rate limit; false means "rate limited".</summary>
    public bool TryTakeRequest() => Volatile.Read(ref _requests).TryTake();

    /// <summary>security.rate_limit_* changed: the connection starts over with the new budget.</summary>
    public void ReplaceRequestBucket(RequestBucket requests) => Volatile.Write(ref _requests, requests);

    /// <summary>Queues a reply to a request that holds a reply slot (so there is always room).
    /// A reply to a connection that is closing is dropped quietly, and its slot given back.</summary>
    public void SendReply(OutboundFrame frame)
    {
        Interlocked.Increment(ref _queuedReplies);
        if (_queue.Writer.TryWrite(frame with { Notification = false })) return;
        Interlocked.Decrement(ref _queuedReplies);
        frame.Release();
        ReleaseReplySlot();
    }

    /// <summary>Queues a notification, or drops it (counted) when the client is behind.</summary>
    public bool TrySendNotification(OutboundFrame frame)
    {
        if (Interlocked.Increment(ref _queuedNotifications) <= _notificationCapacity && _queue.Writer.TryWrite(frame with { Notification = true })) return true;
        Interlocked.Decrement(ref _queuedNotifications);
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
        while (TryTakeNext(out var frame)) frame.Release();
        _closed.Dispose();
        _replySlots.Dispose();
    }
}

/// <summary>The close frame a connection is to end with.</summary>
public sealed record CloseRequest(WebSocketCloseStatus Status, string Reason);
