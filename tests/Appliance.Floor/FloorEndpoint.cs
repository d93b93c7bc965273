using System.Buffers;
using System.Net.WebSockets;

namespace Appliance.Floor;

/// <summary>The floor's one WebSocket endpoint: accept, then the plainest receive loop there is
/// (one 4 KiB buffer from the pool, ReceiveAsync until EndOfMessage) and an immediate reply to
/// every text message.</summary>
internal static class FloorEndpoint
{
    /// <summary>The path the service serves JSON-RPC on (server.websocket_path's default), so the
    /// load client's RpcClient connects to either with the same URI.</summary>
    public const string Path = "/ws";

    private const int BufferSize = 4 * 1024;

    public static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }

    public static async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var reply = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var count = 0;
                var overflow = false;
                ValueWebSocketReceiveResult received;
                do
                {
                    // A message beyond 4 KiB is read to its end but not parsed (answered with id null):
                    // the load client never sends one.
                    if (count == BufferSize) { overflow = true; count = 0; }
                    received = await socket.ReceiveAsync(buffer.AsMemory(count, BufferSize - count), context.RequestAborted);
                    count += received.Count;
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }
                if (received.MessageType != WebSocketMessageType.Text) continue;
                var length = MinimalJsonRpc.Answer(overflow ? [] : buffer.AsSpan(0, count), reply);
                await socket.SendAsync(reply.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer went away or the server is stopping: nothing to tell anyone.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(reply);
        }
    }
}
