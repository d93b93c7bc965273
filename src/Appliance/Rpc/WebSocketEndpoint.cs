using System.Buffers;
using System.Net.WebSockets;
using System.Text.Unicode;
using Appliance.Configuration;
using Appliance.Http;
using Appliance.Security;
using Appliance.Security.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Rpc;

/// <summary>
/// The JSON-RPC WebSocket endpoint. Per connection there is one receive loop (messages are
/// assembled in pooled buffers up to the size limit — a much smaller one until the client has
/// authenticated; larger ones close the socket with 1009, invalid UTF-8 with 1007), up to
/// <see cref="MaxInFlight"/> requests being handled at once (a slow snapshot does not hold up a
/// ping), and one send loop draining the bounded queue. Every way a connection ends goes through
/// <see cref="RpcConnection.RequestClose"/>: the send loop flushes what is queued, then sends the
/// close frame, and the peer's answering close frame ends the receive loop.
/// </summary>
public sealed class WebSocketEndpoint(
    ConfigStore config, RpcDispatcher dispatcher, ConnectionRegistry connections, RpcMetrics metrics,
    Authenticator authenticator, AuthFailureThrottle authFailures, ConsoleSessions sessions, ILogger<WebSocketEndpoint> log, CancellationToken serverStopping)
{
    public const int MaxInFlight = 8;

    /// <summary>Largest message accepted before the client has authenticated: an authenticate
    /// request is a few hundred bytes, so this bounds what an anonymous socket can make us hold.</summary>
    public const int MaxUnauthenticatedMessageSize = 16 * 1024;

    /// <summary>How long the peer has to answer our close frame before the socket is dropped.</summary>
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a connection the WebSocket itself failed stays open for its close frame to be sent (bounded: one per connection).</summary>
    private static readonly TimeSpan FailedCloseFlushPause = TimeSpan.FromMilliseconds(250);

    /// <summary>How long after a console session's end its sockets are closed (see <see cref="ArmSessionExpiry"/>).</summary>
    private static readonly TimeSpan SessionExpiryMargin = TimeSpan.FromMilliseconds(50);

    public async Task HandleAsync(HttpContext context)
    {
        var server = config.Current.Server;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket upgrade required\n");
            return;
        }
        var remote = context.Connection.RemoteIpAddress;
        using var admission = connections.TryAdmit(remote, server);
        if (!admission.Admitted)
        {
            context.Response.StatusCode = admission.Refusal == AdmissionRefusal.PerAddress
                ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync(admission.Message + "\n");
            return;
        }

        // A peer's pong travels behind whatever requests it had already sent, and under backpressure
        // those are read only as fast as it reads its replies: so it has ping_timeout plus
        // send_timeout to answer. A peer that is gone is still dropped; one merely behind is not.
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = TimeSpan.FromSeconds(server.PingInterval),
            KeepAliveTimeout = TimeSpan.FromSeconds(server.PingTimeout + server.SendTimeout),
        });
        using var connection = new RpcConnection(remote, context.Request.Host.Host,
            server.SendQueueCapacity, server.NotificationQueueCapacity, RequestBucket.For(config.Current.Security));
        AuthenticateFromHeaders(context, connection);
        connections.Add(connection);
        // A logout between the cookie check and Add found no connection to close: look again now it is listed.
        if (connection.ConsoleSessionId is { } consoleSession && !sessions.IsLive(consoleSession))
            connection.RequestClose(WebSocketCloseStatus.PolicyViolation, "session ended");
        using var sessionExpiry = ArmSessionExpiry(connection);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Closed);
        var sender = SendLoopAsync(socket, connection, TimeSpan.FromSeconds(server.SendTimeout), lifetime);
        using var onStop = serverStopping.Register(() => connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down"));
        using var authDeadline = ArmAuthenticationDeadline(connection, TimeSpan.FromSeconds(server.AuthTimeout));
        try
        {
            var ours = await ReceiveLoopAsync(socket, connection, server.MaxMessageSize, lifetime.Token);
            connection.RequestClose(ours?.Status ?? WebSocketCloseStatus.NormalClosure, ours?.Reason ?? "bye");
            // Whoever started the close (1009, 1007 here; 1008 or 1001 from elsewhere), read on,
            // discarding, until the peer answers our close frame: closing with unread input would
            // reset the connection, and the peer would never see why.
            await DrainUntilCloseAsync(socket, lifetime.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            log.LogDebug("Connection {Id} ended: {Reason}", connection.Id, ex.Message);
            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "bye");
            // The WebSocket itself failed the connection and sent its close frame (1007 for text that
            // is not UTF-8, 1002 for a protocol error): give the peer a moment to read it before the
            // socket goes, or the reset would discard it unread.
            if (socket.State == WebSocketState.CloseSent) await LingerForPeerCloseAsync(socket);
            // For text that is not UTF-8 the socket writes its 1007 frame, then marks itself aborted
            // (not CloseSent) and throws: returning at once ended the request while the frame could
            // still be queued in Kestrel's output, and the client got a reset instead (about half the
            // runs of the FrameEdgeCaseTests, even on an idle machine). A short pause lets it go out.
            else if (ex is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted }) await Task.Delay(FailedCloseFlushPause);
        }
        finally
        {
            connections.Remove(connection);
        }
        // The send loop flushes the queue and sends the close frame; a peer that never reads gets
        // no more than the handshake timeout for that.
        if (await Task.WhenAny(sender, Task.Delay(CloseHandshakeTimeout + CloseHandshakeTimeout)) != sender) socket.Abort();
        await sender;
        connection.Close();
    }

    /// <summary>A socket that has not authenticated within server.auth_timeout is closed with 1008:
    /// an anonymous socket must not hold one of the connection slots for ever.</summary>
    private CancellationTokenSource ArmAuthenticationDeadline(RpcConnection connection, TimeSpan timeout)
    {
        var deadline = new CancellationTokenSource(timeout);
        deadline.Token.UnsafeRegister(_ =>
        {
            if (connection.HasAuthenticated) return;
            log.LogInformation("Connection {Id} from {Remote} did not authenticate within {Timeout}s; closing", connection.Id, connection.Remote, timeout.TotalSeconds);
            connection.RequestClose(WebSocketCloseStatus.PolicyViolation, "authentication timeout");
        }, null);
        return deadline;
    }

    /// <summary>A connection authenticated by a console session is closed with 1008 "session expired"
    /// when the session's time is up: one timer per such connection, none for any other.</summary>
    private CancellationTokenSource? ArmSessionExpiry(RpcConnection connection)
    {
        if (connection.ConsoleSessionId is not { } id || connection.Auth?.ExpiresAt is not { } expiresAt) return null;
        // A little after the instant, never before it: timers may fire a few milliseconds early, and a
        // client told "session expired" must find the session expired when it asks GET /api/session
        // at once (seen in CI: the socket closed, the session still answered 200 for a moment).
        var expiry = new CancellationTokenSource(TimeSpan.FromTicks(Math.Max(1, (expiresAt - sessions.Now).Ticks)) + SessionExpiryMargin);
        expiry.Token.UnsafeRegister(_ =>
        {
            if (connection.ConsoleSessionId != id) return;   // it authenticated with a credential of its own since
            log.LogInformation("Connection {Id} from {Remote}: console session expired; closing", connection.Id, connection.Remote);
            connection.Revoke();
            connection.RequestClose(WebSocketCloseStatus.PolicyViolation, "session expired");
        }, null);
        return expiry;
    }

    // JavaScript clients send their credential on the upgrade: a valid one counts as authenticate.
    // A wrong one counts as a failed attempt from that address, like a failed authenticate.
    private void AuthenticateFromHeaders(HttpContext context, RpcConnection connection)
    {
        string? token = null;
        var authType = "auto";
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) { token = authorization[7..].Trim(); authType = "jwt"; }
        else if (context.Request.Headers.TryGetValue("X-API-Key", out var key)) { token = key.ToString(); authType = "api_key"; }
        if (token is null)
        {
            AuthenticateFromSessionCookie(context, connection);
            return;
        }
        if (authFailures.IsBlocked(connection.Remote))
        {
            log.LogInformation("Connection {Id} from {Remote}: upgrade credential not checked (too many failures)", connection.Id, connection.Remote);
            return;
        }
        var result = authenticator.Authenticate(token, authType);
        if (result.Ok) connection.Bind(result);
        else
        {
            authFailures.RecordFailure(connection.Remote);
            log.LogInformation("Connection {Id} from {Remote}: upgrade credential refused ({Reason})", connection.Id, connection.Remote, result.Error);
        }
    }

    // Browsers send cookies on a WebSocket upgrade whatever page opened it (there is no CORS for
    // WebSockets), so the session cookie counts only when Origin is this server's own: otherwise any
    // page the user visits could drive the API as them. A cookie without that Origin is ignored, and
    // the connection is an anonymous one like any other.
    private void AuthenticateFromSessionCookie(HttpContext context, RpcConnection connection)
    {
        if (SessionCookie.Read(context) is not { } id) return;
        if (!OwnOrigin.IsOwn(context))
        {
            log.LogInformation("Connection {Id} from {Remote}: session cookie ignored (Origin '{Origin}' is not {Own})",
                connection.Id, connection.Remote, context.Request.Headers.Origin.ToString(), OwnOrigin.Of(context));
            return;
        }
        if (sessions.Find(id, out var session) == SessionLookup.Live) connection.BindConsoleSession(session!.Auth, session.Id);
    }

    private static async Task LingerForPeerCloseAsync(WebSocket socket)
    {
        using var linger = new CancellationTokenSource(CloseHandshakeTimeout);
        try { await DrainUntilCloseAsync(socket, linger.Token); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The socket will not read any more: still wait a little so the close frame is read first.
            try { await Task.Delay(TimeSpan.FromMilliseconds(250), linger.Token); } catch (OperationCanceledException) { }
        }
    }

    private static async Task DrainUntilCloseAsync(WebSocket socket, CancellationToken cancellation)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
                if ((await socket.ReceiveAsync(scratch.AsMemory(), cancellation)).MessageType == WebSocketMessageType.Close) return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <returns>The close this side starts (1009, 1007), or null when the peer closed or the socket ended.</returns>
    private async Task<CloseRequest?> ReceiveLoopAsync(WebSocket socket, RpcConnection connection, int maxMessageSize, CancellationToken cancellation)
    {
        // Nothing is held for a client that sends nothing: the buffer is rented when a message
        // starts, the in-flight gate and task list are made with the first request.
        SemaphoreSlim? inFlight = null;
        List<Task>? pending = null;
        byte[]? buffer = null;
        var count = 0;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var limit = connection.HasAuthenticated ? maxMessageSize : Math.Min(maxMessageSize, MaxUnauthenticatedMessageSize);
                if (buffer is null)
                {
                    // Between messages, wait with a zero-byte read: the WebSocket reads the next frame's
                    // header only, and Kestrel's socket transport rents memory only once bytes arrive.
                    // (An idle connection used to hold a 4 KiB buffer here for as long as it stayed quiet.)
                    var next = await socket.ReceiveAsync(Memory<byte>.Empty, cancellation);
                    if (next.MessageType == WebSocketMessageType.Close) return null;
                    buffer = ArrayPool<byte>.Shared.Rent(4096);
                    // An empty final frame is a whole (empty) message already; anything else is read below.
                    if (!next.EndOfMessage) continue;
                }
                else
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }
                    var received = await socket.ReceiveAsync(buffer.AsMemory(count), cancellation);
                    if (received.MessageType == WebSocketMessageType.Close) return null;
                    count += received.Count;
                    if (count > limit)
                    {
                        log.LogInformation("Connection {Id}: message larger than {Max} bytes, closing with 1009", connection.Id, limit);
                        return new CloseRequest(WebSocketCloseStatus.MessageTooBig, $"message exceeds {limit} bytes" +
                            (connection.HasAuthenticated ? "" : " (authenticate first)"));
                    }
                    if (!received.EndOfMessage) continue;
                    // RFC 6455 §8.1: a text message that is not UTF-8 fails the connection with 1007.
                    if (received.MessageType == WebSocketMessageType.Text && !Utf8.IsValid(buffer.AsSpan(0, count)))
                    {
                        metrics.RecordProtocolError();
                        return new CloseRequest(WebSocketCloseStatus.InvalidPayloadData, "text frame is not valid UTF-8");
                    }
                }

                // Backpressure: the next request is taken only when its reply has room in the queue,
                // so a client that sends faster than it reads waits on its own TCP window.
                await connection.ReserveReplySlotAsync(cancellation);
                inFlight ??= new SemaphoreSlim(MaxInFlight);
                await inFlight.WaitAsync(cancellation);
                // Hand the buffer to the handler (it returns it to the pool); the next message rents its own.
                var message = buffer;
                var length = count;
                buffer = null;
                count = 0;
                pending ??= [];
                pending.RemoveAll(t => t.IsCompleted);
                pending.Add(HandleMessageAsync(connection, message, length, inFlight, cancellation));
            }
            return null;
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            if (pending is not null)
                try { await Task.WhenAll(pending); } catch (OperationCanceledException) { }
            inFlight?.Dispose();
        }
    }

    private async Task HandleMessageAsync(RpcConnection connection, byte[] message, int length, SemaphoreSlim inFlight, CancellationToken cancellation)
    {
        var replied = false;
        try
        {
            var reply = await dispatcher.HandleAsync(connection, message.AsMemory(0, length), cancellation);
            if (reply is { } frame)
            {
                connection.SendReply(frame);
                replied = true;
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            log.LogError(ex, "Connection {Id}: unexpected failure handling a message", connection.Id);
        }
        finally
        {
            if (!replied) connection.ReleaseReplySlot();
            ArrayPool<byte>.Shared.Return(message);
            inFlight.Release();
        }
    }

    /// <summary>Sends queued frames until the queue is completed, then the close frame. A send that
    /// has not finished within server.send_timeout means the client stopped reading: it is cut off
    /// (its queue dropped, close 1008 sent as soon as the socket takes it, else dropped).</summary>
    private async Task SendLoopAsync(WebSocket socket, RpcConnection connection, TimeSpan sendTimeout, CancellationTokenSource lifetime)
    {
        try
        {
            while (await connection.WaitToSendAsync(lifetime.Token))
            {
                while (connection.TryTakeNext(out var frame))
                {
                    try
                    {
                        var send = socket.SendAsync(frame.Buffer.AsMemory(0, frame.Length), WebSocketMessageType.Text, true, lifetime.Token);
                        // The usual case completes at once (the kernel took the bytes): no timer then.
                        if (send.IsCompleted) await send;
                        else
                        {
                            var pending = send.AsTask();
                            if (!await CompletesWithin(pending, sendTimeout))
                            {
                                metrics.ClientCutOff();
                                log.LogWarning("Connection {Id} from {Remote} has not read for {Timeout}s; cutting it off", connection.Id, connection.Remote, sendTimeout.TotalSeconds);
                                connection.RequestClose(WebSocketCloseStatus.PolicyViolation, "not reading", dropQueued: true);
                                if (!await CompletesWithin(pending, CloseHandshakeTimeout)) { socket.Abort(); return; }
                            }
                        }
                    }
                    finally
                    {
                        frame.Release();
                    }
                }
            }
            if (connection.PendingClose is { } close && socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await socket.CloseOutputAsync(close.Status, close.Reason, timeout.Token);
                // The peer's answering close frame ends the receive loop; one that never answers is dropped.
                lifetime.CancelAfter(CloseHandshakeTimeout);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            connection.Close();
            socket.Abort();
        }
    }

    private static async Task<bool> CompletesWithin(Task task, TimeSpan timeout)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)) != task) return false;
        await task;
        return true;
    }
}
