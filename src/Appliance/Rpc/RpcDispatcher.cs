using System.Diagnostics;
using System.Text.Json;
using Appliance.Buffers;
using Appliance.Security;
using Microsoft.Extensions.Logging;

namespace Appliance.Rpc;

/// <summary>
/// Turns one received WebSocket message (a request, a notification or a batch) into the reply
/// bytes. Parsing reads the pooled receive buffer directly (JsonDocument over the memory, no
/// string copy); replies are written into pooled buffers. The checks run in a fixed order:
/// rate limit (every element of a batch counts) -> shape -> method exists -> authentication ->
/// role -> params (in the handler, before anything is looked up). Whatever a client sends gets a
/// JSON-RPC answer: JSON that is not a request is -32600, never silence and never -32603.
/// A batch is capped at server.max_batch elements, so the reply to one frame is bounded too.
/// </summary>
public sealed class RpcDispatcher(RpcMethodTable methods, Authenticator authenticator, RpcMetrics metrics, ILogger<RpcDispatcher> log,
    TimeProvider? timeProvider = null, Func<int>? maxBatch = null, AuthFailureThrottle? authFailures = null)
{
    public const int DefaultMaxBatch = 32;
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };
    private static readonly JsonElement NullId = JsonDocument.Parse("null").RootElement;
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Func<int> _maxBatch = maxBatch ?? (() => DefaultMaxBatch);

    /// <returns>The reply frame, or null when nothing is owed (only notifications).</returns>
    public async ValueTask<OutboundFrame?> HandleAsync(RpcConnection connection, ReadOnlyMemory<byte> message, CancellationToken cancellation)
    {
        var buffer = new PooledBuffer(initialCapacity: 1024);
        var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        var wrote = false;
        try
        {
            var max = _maxBatch();
            if (BatchScan.IsLargerThan(message.Span, max, out var elements))
            {
                metrics.RecordProtocolError();
                connection.TryTakeRequest();
                WriteError(json, NullId, RpcErrorCode.InvalidRequest, $"Invalid Request: batch too large ({elements} > {max})", null, null);
                wrote = true;
                return Finish();
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(message, ParseOptions);
            }
            catch (JsonException ex)
            {
                metrics.RecordProtocolError();
                // A stream of garbage costs the sender its rate limit like any request would.
                if (connection.TryTakeRequest()) WriteError(json, NullId, RpcErrorCode.ParseError, "Parse error: " + FirstLine(ex.Message), null, null);
                else WriteError(json, NullId, RpcErrorCode.RateLimited, "Rate limit exceeded: slow down and retry", null, null);
                wrote = true;
                return Finish();
            }

            // Text the socket accepted is valid UTF-8; only a \u escape can smuggle in a lone surrogate.
            var escapes = message.Span.IndexOf("\\u"u8) >= 0;
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Array)
                {
                    var length = root.GetArrayLength();
                    if (length == 0 || length > max)
                    {
                        metrics.RecordProtocolError();
                        connection.TryTakeRequest();
                        WriteError(json, NullId, RpcErrorCode.InvalidRequest,
                            length == 0 ? "Invalid Request: empty batch" : $"Invalid Request: batch too large ({length} > {max})", null, null);
                        wrote = true;
                        return Finish();
                    }
                    json.WriteStartArray();
                    var any = false;
                    foreach (var element in root.EnumerateArray())
                        any |= await HandleOneAsync(connection, element, json, escapes, cancellation);
                    json.WriteEndArray();
                    wrote = any;
                }
                else
                {
                    wrote = await HandleOneAsync(connection, root, json, escapes, cancellation);
                }
            }
            return Finish();
        }
        finally
        {
            await json.DisposeAsync();
            if (!wrote) buffer.Dispose();
        }

        OutboundFrame? Finish()
        {
            if (!wrote) return null;
            json.Flush();
            var (array, length) = buffer.Detach();
            return new OutboundFrame(array, length, Pooled: true);
        }
    }

    private async ValueTask<bool> HandleOneAsync(RpcConnection connection, JsonElement request, Utf8JsonWriter json, bool escapes, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var methodName = "";
        var isObject = request.ValueKind == JsonValueKind.Object;
        // An id is echoed back, so it must be writable: a string holding an escaped lone surrogate is not.
        var hasId = isObject && request.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null
            && (id.ValueKind != JsonValueKind.String || TryGetString(id, out _));
        var replyId = hasId ? request.GetProperty("id") : NullId;

        // Every element counts against the limiter, well-formed or not.
        if (!connection.TryTakeRequest())
        {
            metrics.RecordProtocolError();
            if (isObject && !request.TryGetProperty("id", out _)) return false;   // a notification gets no answer
            WriteError(json, replyId, RpcErrorCode.RateLimited, "Rate limit exceeded: slow down and retry", null, null);
            return true;
        }

        if (!isObject)
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: expected a JSON object", null);
        if (request.TryGetProperty("id", out _) && !hasId)
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: id must be a string (valid Unicode), a number or null", "id");
        if (!request.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || !TryGetString(version, out var versionText) || versionText != "2.0")
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: jsonrpc must be the string \"2.0\"", "jsonrpc");
        if (!request.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: method must be a string", "method");
        if (!TryGetString(methodElement, out methodName))
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: method is not valid Unicode", "method");
        var hasParams = request.TryGetProperty("params", out var parameters);
        if (hasParams && parameters.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
            return Reject(RpcErrorCode.InvalidRequest, "Invalid Request: params must be an object", "params");

        var method = methods.Find(methodName);
        if (method is null)
            return Finish(RpcErrorCode.MethodNotFound, $"Method not found: {Truncate(methodName)}", "method", null);
        if (hasParams && parameters.ValueKind == JsonValueKind.Array)
            return Finish(RpcErrorCode.InvalidParams, "Invalid params: params must be an object with named members", "params", null);
        if (escapes && hasParams && ParamsText.FirstInvalid(parameters) is { } badField)
            return Finish(RpcErrorCode.InvalidParams, $"Invalid params: '{badField}' is not valid Unicode", badField, null);

        var call = new RpcCall(connection, methodName, hasParams ? parameters : default, cancellation);
        var now = _time.GetUtcNow();
        var role = connection.CurrentRole(now);
        if (method.LeastRole > Role.None)
        {
            if (call.Has("auth_token"))
            {
                string? token;
                try { token = call.OptionalString("auth_token"); }
                catch (RpcException ex) { return Finish(ex.Code, ex.Message, ex.Field, null); }
                // A per-call credential is a guess like any other: the same per-address failure budget applies.
                if (authFailures?.IsBlocked(connection.Remote) == true)
                    return Finish(RpcErrorCode.AuthRequired, "Authentication failed: too many failed attempts; wait a minute and retry", null, null);
                var result = authenticator.Authenticate(token);
                if (!result.Ok)
                {
                    authFailures?.RecordFailure(connection.Remote);
                    return Finish(RpcErrorCode.AuthRequired, $"Authentication failed: {result.Error}", null, null);
                }
                connection.MarkAuthenticated();
                if (result.Role > role) role = result.Role;
                call.CallCredential = result;
            }
            if (role == Role.None)
            {
                var why = connection.Auth is { Ok: true } ? "Authentication expired: authenticate again" : "Authentication required";
                return Finish(RpcErrorCode.AuthRequired, why, null, null);
            }
            if (role < method.LeastRole)
                return Finish(RpcErrorCode.Forbidden, $"Insufficient permissions: {methodName} requires the {Roles.Name(method.LeastRole)} role (you have {Roles.Name(role)})", null, null);
        }
        call.Role = role;

        RpcResult result2;
        try
        {
            result2 = await method.Handler(call);
        }
        catch (RpcException ex)
        {
            return Finish(ex.Code, ex.Message, ex.Field, ex.Detail);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Method {Method} failed", methodName);
            return Finish(RpcErrorCode.InternalError, "Internal error: " + FirstLine(ex.Message), null, null);
        }

        metrics.RecordRequest(methodName, Stopwatch.GetElapsedTime(started), isError: false);
        if (!hasId) return false;
        json.WriteStartObject();
        json.WriteString("jsonrpc"u8, "2.0"u8);
        json.WritePropertyName("result"u8);
        result2.WriteTo(json);
        json.WritePropertyName("id"u8);
        replyId.WriteTo(json);
        json.WriteEndObject();
        return true;

        bool Reject(int code, string message, string? field)
        {
            metrics.RecordProtocolError();
            WriteError(json, replyId, code, message, field, null);
            return true;
        }

        bool Finish(int code, string message, string? field, string? detail)
        {
            metrics.RecordRequest(methodName, Stopwatch.GetElapsedTime(started), isError: true);
            if (!hasId) return false;
            WriteError(json, replyId, code, message, field, detail);
            return true;
        }
    }

    private static void WriteError(Utf8JsonWriter json, JsonElement id, int code, string message, string? field, string? detail)
    {
        json.WriteStartObject();
        json.WriteString("jsonrpc"u8, "2.0"u8);
        json.WriteStartObject("error"u8);
        json.WriteNumber("code"u8, code);
        json.WriteString("message"u8, message);
        if (field is not null || detail is not null)
        {
            json.WriteStartObject("data"u8);
            if (field is not null) json.WriteString("field"u8, field);
            if (detail is not null) json.WriteString("detail"u8, detail);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WritePropertyName("id"u8);
        id.WriteTo(json);
        json.WriteEndObject();
    }

    // A JSON string may hold an escaped lone surrogate ("\ud800"): valid JSON, but not text.
    private static bool TryGetString(JsonElement element, out string value)
    {
        try
        {
            value = element.GetString() ?? "";
            return true;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
    }

    private static string FirstLine(string s)
    {
        var nl = s.IndexOf('\n');
        return nl < 0 ? s : s[..nl];
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
