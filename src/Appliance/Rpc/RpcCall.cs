using System.Text.Json;

namespace Appliance.Rpc;

/// <summary>
/// One request as a handler sees it: the connection, the params object (read straight from the
/// received buffer) and typed accessors that answer -32602 naming the field on bad input.
/// </summary>
public sealed class RpcCall(RpcConnection connection, string method, JsonElement parameters, CancellationToken cancellation)
{
    public RpcConnection Connection => connection;
    public string Method => method;
    public JsonElement Params => parameters;
    public CancellationToken Cancellation => cancellation;

    /// <summary>Role this call runs with (the connection's, or the one an auth_token in params gave).</summary>
    public Security.Role Role { get; internal set; }

    /// <summary>The credential an <c>auth_token</c> in this call's params carried (validated), if any.</summary>
    public Security.AuthResult? CallCredential { get; internal set; }

    public bool Has(string name) => parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? OptionalString(string name, int maxLength = 4096)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.String) throw RpcException.InvalidParams(name, $"'{name}' must be a string");
        string s;
        // An escaped lone surrogate ("\udc00") is valid JSON but not text.
        try { s = v.GetString()!; }
        catch (InvalidOperationException) { throw RpcException.InvalidParams(name, $"'{name}' is not valid Unicode"); }
        if (s.Length > maxLength) throw RpcException.InvalidParams(name, $"'{name}' is longer than {maxLength} characters");
        return s;
    }

    public string RequiredString(string name, int maxLength = 4096) =>
        OptionalString(name, maxLength) is { Length: > 0 } s ? s : throw RpcException.InvalidParams(name, $"'{name}' is required");

    public long? OptionalInteger(string name, long min, long max)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n))
            throw RpcException.InvalidParams(name, $"'{name}' must be an integer");
        if (n < min || n > max) throw RpcException.InvalidParams(name, $"'{name}' must be between {min} and {max}");
        return n;
    }

    public double? OptionalNumber(string name, double min, double max)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number) throw RpcException.InvalidParams(name, $"'{name}' must be a number");
        var n = v.GetDouble();
        if (n < min || n > max) throw RpcException.InvalidParams(name, $"'{name}' must be between {min} and {max}");
        return n;
    }

    public bool? OptionalBoolean(string name)
    {
        if (!TryGet(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw RpcException.InvalidParams(name, $"'{name}' must be true or false"),
        };
    }

    public string? OptionalEnum(string name, params string[] allowed)
    {
        var s = OptionalString(name, 64);
        if (s is not null && !allowed.Contains(s, StringComparer.Ordinal))
            throw RpcException.InvalidParams(name, $"'{name}' must be one of {string.Join(", ", allowed)}");
        return s;
    }

    /// <summary>-32602 naming the first member that is none of <paramref name="known"/> and not the
    /// per-call <c>auth_token</c> every method accepts: a typo ("durration") must not be silently ignored.</summary>
    public void RejectUnknown(params string[] known)
    {
        if (parameters.ValueKind != JsonValueKind.Object) return;
        foreach (var member in parameters.EnumerateObject())
        {
            if (member.NameEquals("auth_token") || known.Contains(member.Name, StringComparer.Ordinal)) continue;
            // The name is the client's: bounded (the whole request is) but quoted at most 64 characters long.
            var name = member.Name.Length > 64 ? member.Name[..64] + "…" : member.Name;
            throw RpcException.InvalidParams(name, $"unknown parameter '{name}' ({method} takes {string.Join(", ", known)})");
        }
    }

    private bool TryGet(string name, out JsonElement value)
    {
        value = default;
        return parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }
}
