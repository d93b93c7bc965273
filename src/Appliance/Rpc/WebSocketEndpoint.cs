using System.Buffers;
using System.Net.WebSockets;
using System.Threading.RateLimiting;
using Appliance.Configuration;
using Appliance.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Appliance.Rpc;

/// <summary>
/// The JSON-RPC WebSocket endpoint. Per connection there is one receive loop (messages are
/// assembled in pooled buffers up to the size limit; larger ones close the socket with 1009),
/// up to <see cref="MaxInFlight"/> requests being handled at once (a slow snapshot does not
/// hold up a ping), and one send loop draining the bounded queue.
/// </summary>
public sealed class WebSocketEndpoint(
    ConfigStore config, RpcDispatcher dispatcher, ConnectionRegistry connections, RpcMetrics metrics,
    Authenticator authenticator, ILogger<WebSocketEndpoint> log, CancellationToken serverStopping)
{
    public const int MaxInFlight = 8;

    public async Task HandleAsync(HttpContext context)
    {
        var server = config.Current.Server;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("WebSocket upgrade required\n");
            return;
        }
        if (connections.Count >= server.MaxConnections)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"Too many connections (limit {server.MaxConnections})\n");
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = TimeSpan.FromSeconds(server.PingInterval),
            KeepAliveTimeout = TimeSpan.FromSeconds(server.PingTimeout),
        });
        using var connection = new RpcConnection(context.Connection.RemoteIpAddress, context.Request.Host.Host,
            server.SendQueueCapacity, server.NotificationQueueCapacity, CreateLimiter(config.Current.Security));
        AuthenticateFromHeaders(context, connection);
        connections.Add(connection);
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Closed);
        var sender = SendLoopAsync(socket, connection, lifetime.Token);
        using var onStop = serverStopping.Register(() => _ = GoAwayAsync(socket, connection, sender));
        var close = (Status: WebSocketCloseStatus.NormalClosure, Reason: "bye");
        try
        {
            close = await ReceiveLoopAsync(socket, connection, server.MaxMessageSize, lifetime.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            log.LogDebug("Connection {Id} ended: {Reason}", connection.Id, ex.Message);
        }
        finally
        {
            connections.Remove(connection);
        }
        // Let queued replies go out (briefly: a client that does not read gets cut off), then close.
        // Only one send may run on a WebSocket at a time, so the close frame waits for the send loop.
        connection.CompleteSending();
        if (await Task.WhenAny(sender, Task.Delay(TimeSpan.FromSeconds(2))) != sender)
        {
            connection.Close();
            socket.Abort();
        }
        await sender;
        connection.Close();
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await socket.CloseOutputAsync(close.Status, close.Reason, timeout.Token); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException) { socket.Abort(); }
        }
    }

    // Server shutdown: flush what is queued, say 1001 "going away", give the client a moment to
    // answer the close handshake, then drop it so shutdown finishes within its timeout.
    private static async Task GoAwayAsync(WebSocket socket, RpcConnection connection, Task sender)
    {
        connection.CompleteSending();
        await Task.WhenAny(sender, Task.Delay(TimeSpan.FromSeconds(1)));
        if (sender.IsCompleted && socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try { await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", timeout.Token); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException) { }
        }
        await Task.Delay(TimeSpan.FromSeconds(1));
        connection.Close();
    }

    /// <summary>A token bucket that holds <c>rate_limit_burst</c> requests and refills exactly
    /// <c>rate_limit_per_minute</c> per minute, in steps of at least 100 ms (a finer timer would
    /// cost more than it saves).</summary>
    public static RateLimiter CreateLimiter(SecuritySection security)
    {
        var perMinute = Math.Max(1, security.RateLimitPerMinute);
        var tokensPerStep = (int)Math.Ceiling(perMinute / 600.0);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = security.RateLimitBurst,
            TokensPerPeriod = tokensPerStep,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) * tokensPerStep / perMinute,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    // JavaScript clients send their credential on the upgrade: a valid one counts as authenticate.
    private void AuthenticateFromHeaders(HttpContext context, RpcConnection connection)
    {
        string? token = null;
        var authType = "auto";
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) { token = authorization[7..].Trim(); authType = "jwt"; }
        else if (context.Request.Headers.TryGetValue("X-API-Key", out var key)) { token = key.ToString(); authType = "api_key"; }
        if (token is null) return;
        var result = authenticator.Authenticate(token, authType);
        if (result.Ok) connection.Bind(result);
        else log.LogInformation("Connection {Id} from {Remote}: upgrade credential refused ({Reason})", connection.Id, connection.Remote, result.Error);
    }

    private async Task<(WebSocketCloseStatus, string)> ReceiveLoopAsync(WebSocket socket, RpcConnection connection, int maxMessageSize, CancellationToken cancellation)
    {
        var close = (WebSocketCloseStatus.NormalClosure, "bye");
        using var inFlight = new SemaphoreSlim(MaxInFlight);
        var pending = new List<Task>();
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var count = 0;
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                if (count == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxMessageSize + 1));
                    buffer.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var received = await socket.ReceiveAsync(buffer.AsMemory(count), cancellation);
                if (received.MessageType == WebSocketMessageType.Close) break;
                count += received.Count;
                if (count > maxMessageSize)
                {
                    log.LogInformation("Connection {Id}: message larger than {Max} bytes, closing with 1009", connection.Id, maxMessageSize);
                    close = (WebSocketCloseStatus.MessageTooBig, $"message exceeds {maxMessageSize} bytes");
                    break;
                }
                if (!received.EndOfMessage) continue;

                // Hand the buffer to the handler (it returns it to the pool) and receive into a fresh one.
                await inFlight.WaitAsync(cancellation);
                var message = buffer;
                var length = count;
                buffer = ArrayPool<byte>.Shared.Rent(4096);
                count = 0;
                pending.RemoveAll(t => t.IsCompleted);
                pending.Add(HandleMessageAsync(socket, connection, message, length, inFlight, cancellation));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            try { await Task.WhenAll(pending); } catch (OperationCanceledException) { }
        }
        return close;
    }

    private async Task HandleMessageAsync(WebSocket socket, RpcConnection connection, byte[] message, int length, SemaphoreSlim inFlight, CancellationToken cancellation)
    {
        try
        {
            var reply = await dispatcher.HandleAsync(connection, message.AsMemory(0, length), cancellation);
            if (reply is { } frame && !connection.TrySendReply(frame))
            {
                // The client does not read its replies: holding them would grow memory without bound.
                metrics.ClientCutOff();
                log.LogWarning("Connection {Id} from {Remote} is not reading its replies; cutting it off", connection.Id, connection.Remote);
                connection.Close();
                socket.Abort();
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            log.LogError(ex, "Connection {Id}: unexpected failure handling a message", connection.Id);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
            inFlight.Release();
        }
    }

    private async Task SendLoopAsync(WebSocket socket, RpcConnection connection, CancellationToken cancellation)
    {
        try
        {
            while (await connection.WaitToSendAsync(cancellation))
            {
                while (connection.TryTakeNext(out var frame))
                {
                    try
                    {
                        await socket.SendAsync(frame.Buffer.AsMemory(0, frame.Length), WebSocketMessageType.Text, true, cancellation);
                    }
                    finally
                    {
                        frame.Release();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            connection.Close();
        }
    }
}
