using System.Net;
using System.Net.Sockets;
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
        var (closed, texts, _) = await WaitForCloseWithErrorAsync(socket, timeout);
        return (closed, texts);
    }

    /// <summary>As <see cref="WaitForCloseAsync"/>, with the receive error (if the socket failed instead of closing).</summary>
    public static async Task<(bool Closed, List<byte[]> TextBefore, string? Error)> WaitForCloseWithErrorAsync(WebSocket socket, TimeSpan timeout)
    {
        var texts = new List<byte[]>();
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var (type, bytes) = await ReceiveAsync(socket, deadline - DateTime.UtcNow);
                if (type == WebSocketMessageType.Close) return (true, texts, null);
                texts.Add(bytes);
            }
        }
        catch (OperationCanceledException) { return (false, texts, "timed out"); }
        catch (WebSocketException ex) { return (socket.CloseStatus is not null, texts, $"{ex.Message} / {ex.InnerException?.Message}"); }
        return (false, texts, "timed out");
    }

    /// <summary>A hand-made WebSocket upgrade on a plain TCP socket (for a client that misbehaves at the
    /// frame level: never reads, never answers pings). Throws unless the server answers 101.</summary>
    public static async Task<(TcpClient Tcp, NetworkStream Stream)> UpgradeTcpAsync(int port, int? receiveBufferSize = null, params (string Name, string Value)[] headers)
    {
        var tcp = new TcpClient();
        if (receiveBufferSize is { } size) tcp.ReceiveBufferSize = size;
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        var extra = string.Concat(headers.Select(h => $"{h.Name}: {h.Value}\r\n"));
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"));
        // Read the response head byte by byte so that no frame bytes after it are consumed.
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) throw new IOException("connection closed during the upgrade");
            head.Add(one[0]);
        }
        var text = Encoding.ASCII.GetString(head.ToArray());
        if (!text.StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) { tcp.Dispose(); throw new IOException("upgrade refused: " + text.Split('\r')[0]); }
        return (tcp, stream);
    }

    /// <summary>One masked client frame (FIN set) with <paramref name="opcode"/> (1 text, 8 close, ...).</summary>
    public static byte[] MaskedFrame(byte[] payload, byte opcode = 1)
    {
        var header = new List<byte> { (byte)(0x80 | opcode) };
        if (payload.Length < 126) header.Add((byte)(0x80 | payload.Length));
        else if (payload.Length <= ushort.MaxValue) { header.Add(0x80 | 126); header.Add((byte)(payload.Length >> 8)); header.Add((byte)payload.Length); }
        else { header.Add(0x80 | 127); for (var i = 7; i >= 0; i--) header.Add((byte)((long)payload.Length >> (8 * i))); }
        byte[] mask = [0x37, 0xFA, 0x21, 0x3D];
        header.AddRange(mask);
        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (var i = 0; i < payload.Length; i++) frame[header.Count + i] = (byte)(payload[i] ^ mask[i % 4]);
        return frame;
    }

    /// <summary>Parses unmasked server frames from <paramref name="data"/>: each frame's opcode and payload.</summary>
    public static List<(int Opcode, byte[] Payload)> ParseServerFrames(ReadOnlySpan<byte> data)
    {
        var frames = new List<(int, byte[])>();
        var at = 0;
        while (at + 2 <= data.Length)
        {
            var opcode = data[at] & 0x0F;
            long length = data[at + 1] & 0x7F;
            var headerLength = 2;
            if (length == 126) { if (at + 4 > data.Length) break; length = (data[at + 2] << 8) | data[at + 3]; headerLength = 4; }
            else if (length == 127)
            {
                if (at + 10 > data.Length) break;
                length = 0;
                for (var i = 0; i < 8; i++) length = (length << 8) | data[at + 2 + i];
                headerLength = 10;
            }
            if (at + headerLength + length > data.Length) break;
            frames.Add((opcode, data.Slice(at + headerLength, (int)length).ToArray()));
            at += headerLength + (int)length;
        }
        return frames;
    }
}
