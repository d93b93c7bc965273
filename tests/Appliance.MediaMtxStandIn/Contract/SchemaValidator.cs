using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Contract;

/// <summary>
/// Validates JSON against the part of OpenAPI 3.0 schemas that MediaMTX's openapi.yaml uses:
/// $ref, allOf, oneOf, type, format (unsigned only), nullable, enum, properties, items, required.
/// Unknown properties are violations (additionalProperties treated as false): the spec lists
/// every field MediaMTX sends or accepts, so an extra one is a typo or a version mismatch.
/// </summary>
public sealed class SchemaValidator(OpenApiDocument document)
{
    public void Validate(JsonNode? value, JsonObject schema, string where, List<ContractViolation> violations)
    {
        var effective = Flatten(schema);

        if (value is null)
        {
            if (!effective.Nullable && effective.Type is not null)
                violations.Add(new(where, $"null where {effective.Type} is required (schema is not nullable)"));
            return;
        }

        if (effective.Enum is { } allowed && !allowed.Any(option => JsonNode.DeepEquals(option, value)))
            violations.Add(new(where, $"{value.ToJsonString()} is not one of {allowed.ToJsonString()}"));

        if (effective.OneOf.Count > 0) CheckOneOf(value, effective, where, violations);

        switch (effective.Type)
        {
            case "object": CheckObject(value, effective, where, violations); break;
            case "array": CheckArray(value, effective, where, violations); break;
            case "string": Expect(value, JsonValueKind.String, "a string", where, violations); break;
            case "boolean": CheckBoolean(value, where, violations); break;
            case "number": Expect(value, JsonValueKind.Number, "a number", where, violations); break;
            case "integer": CheckInteger(value, effective.Format, where, violations); break;
            case null: break; // no type: any value (only oneOf/enum constrain it)
            default: violations.Add(new(where, $"schema type '{effective.Type}' is not supported by this checker")); break;
        }
    }

    // "Any match" rather than "exactly one": MediaMTX's H264 and H265 codec properties have the
    // same shape, so a strict oneOf would reject every valid H264 track.
    private void CheckOneOf(JsonNode value, Effective effective, string where, List<ContractViolation> violations)
    {
        foreach (var option in effective.OneOf)
        {
            var attempt = new List<ContractViolation>();
            Validate(value, option, where, attempt);
            if (attempt.Count == 0) return;
        }
        violations.Add(new(where, $"matches none of the {effective.OneOf.Count} oneOf schemas"));
    }

    private void CheckObject(JsonNode value, Effective effective, string where, List<ContractViolation> violations)
    {
        if (value is not JsonObject obj)
        {
            violations.Add(new(where, $"expected an object, got {Kind(value)}"));
            return;
        }
        // An object whose shape is given only by oneOf branches was checked by CheckOneOf.
        if (effective.Properties.Count == 0 && effective.OneOf.Count > 0) return;

        foreach (var (name, member) in obj)
        {
            if (effective.Properties.TryGetValue(name, out var propertySchema))
                Validate(member, propertySchema, Child(where, name), violations);
            else
                violations.Add(new(Child(where, name), "unknown property (not in the schema)"));
        }
        foreach (var name in effective.Required)
            if (!obj.ContainsKey(name)) violations.Add(new(Child(where, name), "required property is missing"));
    }

    private void CheckArray(JsonNode value, Effective effective, string where, List<ContractViolation> violations)
    {
        if (value is not JsonArray array)
        {
            violations.Add(new(where, $"expected an array, got {Kind(value)}"));
            return;
        }
        if (effective.Items is null) return;
        for (var i = 0; i < array.Count; i++)
            Validate(array[i], effective.Items, $"{where}[{i}]", violations);
    }

    private static void CheckBoolean(JsonNode value, string where, List<ContractViolation> violations)
    {
        var kind = value.GetValueKind();
        if (kind is not (JsonValueKind.True or JsonValueKind.False))
            violations.Add(new(where, $"expected a boolean, got {Kind(value)}"));
    }

    private static void CheckInteger(JsonNode value, string? format, string where, List<ContractViolation> violations)
    {
        if (value.GetValueKind() != JsonValueKind.Number)
        {
            violations.Add(new(where, $"expected an integer, got {Kind(value)}"));
            return;
        }
        var text = value.ToJsonString();
        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || decimal.Truncate(number) != number)
            violations.Add(new(where, $"expected an integer, got {text}"));
        else if (format is "uint64" or "uint32" or "uint" && number < 0)
            violations.Add(new(where, $"expected an unsigned integer ({format}), got {text}"));
    }

    private static void Expect(JsonNode value, JsonValueKind kind, string what, string where, List<ContractViolation> violations)
    {
        if (value.GetValueKind() != kind) violations.Add(new(where, $"expected {what}, got {Kind(value)}"));
    }

    private static string Kind(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string {value.ToJsonString()}",
        JsonValueKind.Number => $"the number {value.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.ToJsonString()}",
        _ => value.ToJsonString(),
    };

    private static string Child(string where, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"{where}.{name}" : $"{where}['{name}']";

    /// <summary>One schema with its $ref resolved and its allOf parts merged in.</summary>
    private sealed class Effective
    {
        public string? Type;
        public string? Format;
        public bool Nullable;
        public JsonArray? Enum;
        public JsonObject? Items;
        public readonly Dictionary<string, JsonObject> Properties = new(StringComparer.Ordinal);
        public readonly List<JsonObject> OneOf = [];
        public readonly List<string> Required = [];
    }

    private Effective Flatten(JsonObject schema)
    {
        // "nullable" next to a $ref is ignored in OpenAPI 3.0; MediaMTX puts it next to allOf.
        var resolved = document.Resolve(schema);
        var effective = new Effective
        {
            Type = (string?)resolved["type"],
            Format = (string?)resolved["format"],
            Nullable = resolved["nullable"] is JsonValue nullable && nullable.GetValue<bool>(),
            Enum = resolved["enum"] as JsonArray,
            Items = resolved["items"] as JsonObject,
        };
        if (resolved["properties"] is JsonObject properties)
            foreach (var (name, property) in properties)
                effective.Properties[name] = property as JsonObject ?? new JsonObject();
        if (resolved["oneOf"] is JsonArray oneOf) effective.OneOf.AddRange(oneOf.OfType<JsonObject>());
        if (resolved["required"] is JsonArray required) effective.Required.AddRange(required.Select(r => (string)r!));

        if (resolved["allOf"] is JsonArray allOf)
        {
            foreach (var part in allOf.OfType<JsonObject>().Select(Flatten))
            {
                effective.Type ??= part.Type;
                effective.Format ??= part.Format;
                effective.Enum ??= part.Enum;
                effective.Items ??= part.Items;
                foreach (var (name, property) in part.Properties) effective.Properties.TryAdd(name, property);
                effective.OneOf.AddRange(part.OneOf);
                effective.Required.AddRange(part.Required);
            }
        }
        return effective;
    }
}
