using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Appliance.Tests.Support;

/// <summary>A plain JSON-RPC client over a real ClientWebSocket: requests matched to replies by id,
/// notifications collected separately.</summary>
public sealed class RpcTestClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonDocument>> _pending = new();
    private readonly Task _receiver;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private int _nextId;

    private RpcTestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receiver = Task.Run(ReceiveLoop);
    }

    public ClientWebSocket Socket => _socket;
    public ConcurrentQueue<JsonDocument> Notifications { get; } = new();
    public ConcurrentQueue<JsonDocument> UnmatchedReplies { get; } = new();
    public WebSocketCloseStatus? CloseStatus { get; private set; }
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<RpcTestClient> ConnectAsync(Uri uri, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        return new RpcTestClient(socket);
    }

    /// <summary>Sends a request with a fresh integer id and waits for the reply (10 s at most, unless told).</summary>
    public async Task<JsonDocument> CallAsync(string method, string? paramsJson = null, double seconds = 10)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = paramsJson is null
            ? $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}"}"""
            : $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{paramsJson}}}""";
        return await SendAndWaitAsync(id.ToString(System.Globalization.CultureInfo.InvariantCulture), message, seconds);
    }

    /// <summary>Sends raw text and waits for the reply carrying <paramref name="expectId"/> (its raw JSON text).</summary>
    public async Task<JsonDocument> SendAndWaitAsync(string expectId, string raw, double seconds = 10)
    {
        var tcs = new TaskCompletionSource<JsonDocument>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[expectId] = tcs;
        await SendRawAsync(raw);
        // A socket the server closes will never bring the reply: say so at once rather than at the time limit.
        var done = await Task.WhenAny(tcs.Task, Closed.Task, Task.Delay(TimeSpan.FromSeconds(seconds)));
        if (done == Closed.Task && !tcs.Task.IsCompleted) await Task.WhenAny(tcs.Task, Task.Delay(50)); // a reply read just before the close frame
        _pending.TryRemove(expectId, out _);
        if (!tcs.Task.IsCompleted && done == Closed.Task) throw new WebSocketException($"the socket closed before the reply with id {expectId} to {raw[..Math.Min(raw.Length, 200)]}");
        if (!tcs.Task.IsCompleted) throw new TimeoutException($"no reply with id {expectId} to {raw[..Math.Min(raw.Length, 200)]}");
        return await tcs.Task;
    }

    /// <summary>Sends raw text and returns the next reply that is not matched to a pending call.</summary>
    public async Task<JsonDocument> SendRawExpectReplyAsync(string raw)
    {
        await SendRawAsync(raw);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (UnmatchedReplies.TryDequeue(out var doc)) return doc;
            await Task.Delay(5);
        }
        throw new TimeoutException("no reply to " + raw[..Math.Min(raw.Length, 200)]);
    }

    /// <summary>Waits for the next notification of <paramref name="method"/> that matches, skipping (and
    /// consuming) the others; its params.</summary>
    public async Task<JsonElement> NextNotificationAsync(string method, Func<JsonElement, bool>? match = null, double seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            while (Notifications.TryDequeue(out var doc))
            {
                if (doc.RootElement.GetProperty("method").GetString() != method) continue;
                var p = doc.RootElement.GetProperty("params").Clone();
                if (match is null || match(p)) return p;
            }
            await Task.Delay(10);
        }
        throw new TimeoutException($"no {method} notification within {seconds} s");
    }

    /// <summary>subscribe_events to these topics (with an optional device filter); throws unless subscribed.</summary>
    public async Task SubscribeAsync(string[] topics, string? device = null)
    {
        var filters = device is null ? "" : $$""","filters":{"device":"{{device}}"}""";
        using var reply = await CallAsync("subscribe_events", $$"""{"topics":{{JsonSerializer.Serialize(topics)}}{{filters}}}""");
        if (!reply.RootElement.TryGetProperty("result", out var r) || !r.GetProperty("subscribed").GetBoolean())
            throw new InvalidOperationException("subscribe_events failed: " + reply.RootElement);
    }

    public async Task SendRawAsync(string raw) => await SendBytesAsync(Encoding.UTF8.GetBytes(raw));

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _sendLock.WaitAsync();
        try { await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None); }
        finally { _sendLock.Release(); }
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = result.CloseStatus;
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var doc = JsonDocument.Parse(message.ToArray());
                message.SetLength(0);
                Route(doc);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            Closed.TrySetResult();
        }
    }

    private void Route(JsonDocument doc)
    {
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("id", out _))
        {
            Notifications.Enqueue(doc);
            return;
        }
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("id", out var id) && id.ValueKind != JsonValueKind.Null
            && _pending.TryRemove(id.GetRawText().Trim('"'), out var tcs))
        {
            tcs.TrySetResult(doc);
            return;
        }
        UnmatchedReplies.Enqueue(doc);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token); } catch (Exception) { }
        }
        _stop.Cancel();
        try { await _receiver; } catch (Exception) { }
        _socket.Dispose();
        _stop.Dispose();
    }
}
