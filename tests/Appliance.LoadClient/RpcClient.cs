using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace Appliance.LoadClient;

/// <summary>One parsed reply. Timestamps are Stopwatch ticks: sent just before SendAsync,
/// received when the last frame of the reply arrived (in the read loop, before any hand-off).</summary>
public readonly record struct Reply(long Id, long SentAt, long ReceivedAt, bool IsError, bool IsPong, int ErrorCode, string? ErrorMessage, JsonDocument? Document)
{
    public TimeSpan Latency => Stopwatch.GetElapsedTime(SentAt, ReceivedAt);
}

/// <summary>
/// A minimal JSON-RPC 2.0 client over ClientWebSocket with one request outstanding at a time
/// (the benchmark's model: back-to-back requests per client). A background loop always has a
/// receive pending, so the socket answers the server's keep-alive pings, notices a close at
/// once, and timestamps replies as they arrive. Replies are read with Utf8JsonReader; a
/// JsonDocument is built only when the caller asks for one.
/// </summary>
public sealed class RpcClient : IAsyncDisposable
{
    /// <summary>Called on the read loop for every message that answers no outstanding request
    /// (notifications), with the Stopwatch timestamp of its arrival. Must not block.</summary>
    public delegate void NotificationHandler(ReadOnlySpan<byte> message, long receivedAt);

    private const int MaxMessageBytes = 16 * 1024 * 1024;
    private readonly ClientWebSocket _socket;
    private readonly ArrayBufferWriter<byte> _request = new(256);
    private readonly Utf8JsonWriter _json;
    private readonly Lock _gate = new();
    private readonly Task _reader;
    private Pending? _pending;
    private long _nextId;
    private long _unsolicited;
    private volatile bool _finished;

    private sealed class Pending(long id, bool wantDocument)
    {
        public long Id { get; } = id;
        public bool WantDocument { get; } = wantDocument;
        public long SentAt { get; set; }
        public TaskCompletionSource<Reply> Completion { get; } = new();
    }

    private RpcClient(ClientWebSocket socket)
    {
        _socket = socket;
        _json = new Utf8JsonWriter(_request, new JsonWriterOptions { SkipValidation = true });
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>True until the server closed the socket or it failed.</summary>
    public bool IsOpen => !_finished;

    /// <summary>How the connection ended, when it has: close status and reason, or the exception.</summary>
    public string? EndReason { get; private set; }

    /// <summary>Set before the first notification is expected; see <see cref="NotificationHandler"/>.</summary>
    public NotificationHandler? OnNotification { get; set; }

    /// <summary>Messages that answered no outstanding request (notifications, stray replies).</summary>
    public long Unsolicited => Interlocked.Read(ref _unsolicited);

    public static async Task<RpcClient> ConnectAsync(Uri uri, TimeSpan timeout, CancellationToken cancellation)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // idle means idle: only the server pings
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(uri, bound.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new RpcClient(socket);
    }

    /// <summary>authenticate with a JWT; throws unless the server says authenticated:true.</summary>
    public async Task AuthenticateAsync(string token, TimeSpan timeout, CancellationToken cancellation)
    {
        var reply = await CallAsync("authenticate", json => json.WriteString("auth_token"u8, token), wantDocument: true, timeout, cancellation);
        using var document = reply.Document;
        if (reply.IsError) throw new InvalidOperationException($"authenticate: error {reply.ErrorCode} {reply.ErrorMessage}");
        var result = document!.RootElement.GetProperty("result");
        if (!result.TryGetProperty("authenticated", out var ok) || ok.ValueKind != JsonValueKind.True)
            throw new InvalidOperationException("authenticate refused: " + result.GetRawText());
    }

    /// <summary>One ping; no timeout of its own (the scenario aborts stalled clients at its deadline).</summary>
    public Task<Reply> PingAsync(CancellationToken cancellation) => CallAsync("ping", null, wantDocument: false, null, cancellation);

    /// <summary>Sends one request and waits for the reply with the same id.</summary>
    public async Task<Reply> CallAsync(string method, Action<Utf8JsonWriter>? writeParams, bool wantDocument, TimeSpan? timeout, CancellationToken cancellation)
    {
        var pending = new Pending(++_nextId, wantDocument);
        _request.ResetWrittenCount();
        _json.Reset(_request);
        _json.WriteStartObject();
        _json.WriteString("jsonrpc"u8, "2.0"u8);
        _json.WriteNumber("id"u8, pending.Id);
        _json.WriteString("method"u8, method);
        if (writeParams is not null)
        {
            _json.WriteStartObject("params"u8);
            writeParams(_json);
            _json.WriteEndObject();
        }
        _json.WriteEndObject();
        _json.Flush();

        lock (_gate)
        {
            if (_finished) throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "connection ended: " + EndReason);
            if (_pending is not null) throw new InvalidOperationException("one request at a time");
            _pending = pending;
        }
        pending.SentAt = Stopwatch.GetTimestamp();
        try
        {
            await _socket.SendAsync(_request.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellation);
            var task = pending.Completion.Task;
            var reply = timeout is { } t ? await task.WaitAsync(t, cancellation) : await task;
            return reply with { SentAt = pending.SentAt };
        }
        finally
        {
            lock (_gate)
            {
                if (ReferenceEquals(_pending, pending)) _pending = null;
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessageBytes) throw new InvalidDataException($"reply larger than {MaxMessageBytes} bytes");
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                    received = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        EndReason = $"closed by server: {_socket.CloseStatus} '{_socket.CloseStatusDescription}'";
                        await CloseOutputQuietlyAsync();
                        return;
                    }
                    count += received.Count;
                }
                while (!received.EndOfMessage);
                Dispatch(buffer.AsSpan(0, count), Stopwatch.GetTimestamp());
            }
        }
        catch (Exception ex)
        {
            EndReason ??= $"{ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            Pending? orphan;
            lock (_gate)
            {
                _finished = true;
                orphan = _pending;
                _pending = null;
            }
            orphan?.Completion.TrySetException(new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "connection ended: " + EndReason));
        }
    }

    private void Dispatch(ReadOnlySpan<byte> message, long receivedAt)
    {
        long id = -1;
        bool isError = false, isPong = false;
        var code = 0;
        string? errorMessage = null;
        try
        {
            var reader = new Utf8JsonReader(message);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                Interlocked.Increment(ref _unsolicited);
                return;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out id)) id = -1;
                }
                else if (reader.ValueTextEquals("result"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String) isPong = reader.ValueTextEquals("pong"u8);
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    isError = true;
                    if (reader.TokenType != JsonTokenType.StartObject) { reader.Skip(); continue; }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("code"u8)) { reader.Read(); if (reader.TokenType == JsonTokenType.Number) reader.TryGetInt32(out code); }
                        else if (reader.ValueTextEquals("message"u8)) { reader.Read(); errorMessage = reader.GetString(); }
                        else { reader.Read(); reader.Skip(); }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _unsolicited);
            return;
        }

        Pending? match = null;
        lock (_gate)
        {
            if (_pending is { } p && p.Id == id)
            {
                match = p;
                _pending = null;
            }
        }
        if (match is null)
        {
            Interlocked.Increment(ref _unsolicited);
            OnNotification?.Invoke(message, receivedAt);
            return;
        }
        var document = match.WantDocument ? JsonDocument.Parse(message.ToArray()) : null;
        // Completes inline: the waiting client loop continues on this thread and sends its next request.
        match.Completion.TrySetResult(new Reply(id, 0, receivedAt, isError, isPong, code, errorMessage, document));
    }

    private async Task CloseOutputQuietlyAsync()
    {
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State == WebSocketState.CloseReceived)
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", bound.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException) { }
    }

    /// <summary>Tears the connection down at once (stalled client, deadline reached).</summary>
    public void Abort() => _socket.Abort();

    /// <summary>Closes politely (close handshake, 2 s bound), then releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", bound.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException) { }
        _socket.Abort();
        try { await _reader.WaitAsync(TimeSpan.FromSeconds(2)); } catch (TimeoutException) { }
        _socket.Dispose();
        _json.Dispose();
    }
}
