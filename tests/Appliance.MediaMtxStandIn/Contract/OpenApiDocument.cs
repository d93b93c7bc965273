using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Appliance.Testing.MediaMtx.Contract;

/// <summary>
/// MediaMTX's openapi.yaml as a JSON tree (YAML mappings become objects, plain scalars become
/// booleans or integers where they read as such, quoted scalars stay strings: "no" is an enum
/// value there, not false).
/// </summary>
public sealed class OpenApiDocument
{
    private OpenApiDocument(JsonObject root) => Root = root;

    public JsonObject Root { get; }

    /// <summary>The project's copy, copied next to this assembly by the build.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "reference", "mediamtx", "openapi.yaml");

    public static OpenApiDocument Load(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(reader);
        if (stream.Documents.Count != 1 || ToJson(stream.Documents[0].RootNode) is not JsonObject root)
            throw new InvalidDataException($"{path}: expected one YAML document with a mapping at its root");
        return new OpenApiDocument(root);
    }

    public JsonObject Schema(string name) =>
        Root["components"]?["schemas"]?[name] as JsonObject
        ?? throw new KeyNotFoundException($"openapi.yaml has no schema '{name}'");

    /// <summary>Follows "#/components/schemas/X" references (possibly chained).</summary>
    public JsonObject Resolve(JsonObject schema)
    {
        for (var hops = 0; schema["$ref"] is JsonValue reference; hops++)
        {
            if (hops > 32) throw new InvalidDataException("$ref cycle in openapi.yaml");
            var target = reference.GetValue<string>();
            const string prefix = "#/components/schemas/";
            if (!target.StartsWith(prefix, StringComparison.Ordinal))
                throw new NotSupportedException($"only local schema references are supported, not {target}");
            schema = Schema(target[prefix.Length..]);
        }
        return schema;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(entry =>
            KeyValuePair.Create(((YamlScalarNode)entry.Key).Value ?? "", ToJson(entry.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(text);
        if (text is "true" or "false") return JsonValue.Create(text == "true");
        if (text is "" or "~" or "null") return null;
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number))
            return JsonValue.Create(number);
        return JsonValue.Create(text);
    }
}
