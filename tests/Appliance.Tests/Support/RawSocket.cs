using System.Net;
using System.Net.WebSockets;
using System.Text;

namespace Appliance.Tests.Support;

/// <summary>Protocol-level helpers around a bare <see cref="ClientWebSocket"/>: connecting with the
/// HTTP status of a refused upgrade, and reading whole messages (text, or the close).</summary>
public static class RawSocket
{
    /// <summary>Connects; on a refused upgrade returns the socket as null and the HTTP status the server answered.</summary>
    public static async Task<(ClientWebSocket? Socket, HttpStatusCode Status)> TryConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null, double seconds = 15)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
            return (socket, socket.HttpStatusCode);
        }
        catch (WebSocketException)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            return (null, status);
        }
    }

    /// <summary>The next whole message: its type and bytes (empty for a close; see the socket's CloseStatus).</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(WebSocket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var r = await socket.ReceiveAsync(buffer, cts.Token);
            if (r.MessageType == WebSocketMessageType.Close) return (WebSocketMessageType.Close, []);
            message.Write(buffer, 0, r.Count);
            if (r.EndOfMessage) return (r.MessageType, message.ToArray());
        }
    }

    public static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits until the server's close frame arrives (any text before it is returned); false on timeout.</summary>
    public static async Task<(bool Closed, List<byte[]> TextBefore)> WaitForCloseAsync(WebSocket socket, TimeSpan timeout)
    {
        var texts = new List<byte[]>();
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var (type, bytes) = await ReceiveAsync(socket, deadline - DateTime.UtcNow);
                if (type == WebSocketMessageType.Close) return (true, texts);
                texts.Add(bytes);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { return (socket.CloseStatus is not null, texts); }
        return (false, texts);
    }
}
