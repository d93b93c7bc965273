using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Contract;

namespace Appliance.Testing.MediaMtx.Config;

/// <summary>Thrown with MediaMTX's error text when a request body does not decode.</summary>
internal sealed class ConfigDecodeException(string message) : Exception(message);

/// <summary>
/// Decodes a configuration body the way MediaMTX's jsonwrapper.Decode does with Go's
/// encoding/json: DisallowUnknownFields (the first unknown field in document order gives
/// `json: unknown field "x"`), type mismatches are errors, JSON null for an array is "cannot set
/// slice to nil", null elsewhere leaves the field unset, and keys match field names without regard
/// to case (Go's rule; the contract check is case-sensitive and flags such keys). The fields and
/// types come from the openapi.yaml schema. Error texts follow Go's; the ones for type mismatches
/// and enum values are close, not byte-exact.
/// </summary>
internal sealed class GoJsonDecoder(OpenApiDocument document, string schemaName, string goStructName)
{
    private readonly JsonObject _schema = document.Schema(schemaName);

    /// <summary>The fields the body sets, under their canonical (schema) names.</summary>
    public JsonObject Decode(string body)
    {
        var root = Parse(body);
        if (root is not JsonObject obj)
            throw new ConfigDecodeException($"json: cannot unmarshal {GoKind(root)} into Go value of type conf.Optional{goStructName}");

        var properties = Properties(_schema);
        foreach (var (key, value) in obj)
        {
            if (value is null && Lookup(properties, key) is { } field && TypeOf(field.Value) == "array")
                throw new ConfigDecodeException("cannot set slice to nil");
        }

        var result = new JsonObject();
        foreach (var (key, value) in obj)
        {
            var field = Lookup(properties, key) ?? throw new ConfigDecodeException($"json: unknown field \"{key}\"");
            if (value is null) continue;
            Check(value, field.Value, goStructName, field.Key);
            result[field.Key] = value.DeepClone();
        }
        return result;
    }

    private static JsonNode? Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) throw new ConfigDecodeException("unexpected end of JSON input");
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            var first = body.TrimStart()[0];
            throw new ConfigDecodeException("{[\"tfn-0123456789".Contains(first, StringComparison.Ordinal)
                ? "unexpected end of JSON input"
                : $"invalid character '{first}' looking for beginning of value");
        }
    }

    private void Check(JsonNode value, JsonObject schema, string structName, string fieldName)
    {
        var resolved = Resolve(schema);
        var type = TypeOf(schema);
        var kind = value.GetValueKind();
        var ok = type switch
        {
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "integer" => kind == JsonValueKind.Number && IsInteger(value),
            "number" => kind == JsonValueKind.Number,
            "array" => kind == JsonValueKind.Array,
            "object" => kind == JsonValueKind.Object,
            _ => true,
        };
        if (!ok)
        {
            // Go names a number by its text only when it fails to fit an integer field.
            var what = kind == JsonValueKind.Number && type == "integer" ? "number " + value.ToJsonString() : GoKind(value);
            throw new ConfigDecodeException($"json: cannot unmarshal {what} into Go struct field {structName}.{fieldName} of type {GoType(schema)}");
        }

        if (resolved["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
            throw new ConfigDecodeException($"invalid value {value.ToJsonString()} for '{fieldName}'");

        if (value is JsonArray array && Items(schema) is { } items)
            foreach (var element in array.Where(e => e is not null))
                Check(element!, items, structName, fieldName);

        if (value is JsonObject obj)
        {
            var properties = Properties(schema);
            foreach (var (key, member) in obj)
            {
                var field = Lookup(properties, key) ?? throw new ConfigDecodeException($"json: unknown field \"{key}\"");
                if (member is not null) Check(member, field.Value, fieldName, field.Key);
            }
        }
    }

    private static bool IsInteger(JsonNode value) => value.GetValue<JsonElement>().TryGetInt64(out _) || value.GetValue<JsonElement>().TryGetUInt64(out _);

    // Go matches an exact key first, then any key equal under case folding.
    private static KeyValuePair<string, JsonObject>? Lookup(Dictionary<string, JsonObject> properties, string key)
    {
        if (properties.TryGetValue(key, out var exact)) return KeyValuePair.Create(key, exact);
        foreach (var (name, schema) in properties)
            if (string.Equals(name, key, StringComparison.OrdinalIgnoreCase)) return KeyValuePair.Create(name, schema);
        return null;
    }

    private JsonObject Resolve(JsonObject schema)
    {
        var resolved = document.Resolve(schema);
        return resolved["allOf"] is JsonArray allOf && resolved["type"] is null && allOf.FirstOrDefault() is JsonObject first
            ? Resolve(first)
            : resolved;
    }

    private string? TypeOf(JsonObject schema)
    {
        var resolved = document.Resolve(schema);
        return (string?)resolved["type"] ?? (resolved["allOf"] is JsonArray allOf && allOf.FirstOrDefault() is JsonObject first ? TypeOf(first) : null);
    }

    private JsonObject? Items(JsonObject schema) => Resolve(schema)["items"] as JsonObject;

    private Dictionary<string, JsonObject> Properties(JsonObject schema)
    {
        var resolved = document.Resolve(schema);
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (resolved["properties"] is JsonObject properties)
            foreach (var (name, property) in properties) result[name] = property as JsonObject ?? [];
        if (resolved["allOf"] is JsonArray allOf)
            foreach (var part in allOf.OfType<JsonObject>())
                foreach (var (name, property) in Properties(part)) result.TryAdd(name, property);
        return result;
    }

    private string GoType(JsonObject schema) => TypeOf(schema) switch
    {
        "string" => "string",
        "boolean" => "bool",
        "integer" => "int",
        "number" => "float64",
        "array" => "[]" + (Items(schema) is { } items ? GoType(items) : "interface {}"),
        "object" => "struct",
        var other => other ?? "interface {}",
    };

    private static string GoKind(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        _ => "null",
    };
}
