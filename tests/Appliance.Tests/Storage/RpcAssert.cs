using System.Text.Json;

namespace Appliance.Tests.Storage;

/// <summary>Reading JSON-RPC replies in the storage tests: the result, or the error's code/message/field.</summary>
public static class RpcAssert
{
    public static JsonElement Result(JsonDocument reply)
    {
        Assert.That(reply.RootElement.TryGetProperty("result", out var result), Is.True, "expected a result, got " + reply.RootElement);
        return result;
    }

    public static (int Code, string Message, string? Field) Error(JsonDocument reply)
    {
        Assert.That(reply.RootElement.TryGetProperty("error", out var error), Is.True, "expected an error, got " + reply.RootElement);
        var field = error.TryGetProperty("data", out var data) && data.TryGetProperty("field", out var f) ? f.GetString() : null;
        return (error.GetProperty("code").GetInt32(), error.GetProperty("message").GetString()!, field);
    }

    public static string[] Names(JsonElement obj) => obj.EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();

    /// <summary>JSON string literal for a test value (escapes NUL, quotes, backslashes).</summary>
    public static string Quote(string s) => JsonSerializer.Serialize(s, Appliance.Rpc.RpcJsonContext.Default.String);
}
