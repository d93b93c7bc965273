using System.Text.Json;

namespace Appliance.Tests.Support;

/// <summary>What a JSON-RPC 2.0 reply object must look like; null when it does, else what is wrong.</summary>
public static class ReplyShape
{
    public static string? Problem(JsonElement reply)
    {
        if (reply.ValueKind != JsonValueKind.Object) return "reply is not an object";
        if (!reply.TryGetProperty("jsonrpc", out var v) || v.ValueKind != JsonValueKind.String || v.GetString() != "2.0") return "jsonrpc is not \"2.0\"";
        if (!reply.TryGetProperty("id", out var id) || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null)) return "id missing or of a wrong type";
        var hasResult = reply.TryGetProperty("result", out _);
        var hasError = reply.TryGetProperty("error", out var error);
        if (hasResult == hasError) return "not exactly one of result and error";
        if (hasError)
        {
            if (error.ValueKind != JsonValueKind.Object) return "error is not an object";
            if (!error.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.Number || !code.TryGetInt32(out _)) return "error.code is not an integer";
            if (!error.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String) return "error.message is not a string";
            if (code.GetInt32() == -32603) return "internal error (-32603) for client input: " + message.GetString();
        }
        return null;
    }

    public static int? ErrorCode(JsonElement reply) =>
        reply.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : null;
}
