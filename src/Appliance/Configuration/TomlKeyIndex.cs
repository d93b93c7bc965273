using System.Globalization;
using Tomlyn;
using Tomlyn.Parsing;

namespace Appliance.Configuration;

public enum TomlValueKind { Table, String, Integer, Float, Boolean, DateTime, Array }

/// <summary>One key of a TOML document: where it is and what it holds.</summary>
/// <param name="Path">Dotted path with array-of-table indices, e.g. <c>camera.virtual[0].fps</c>.</param>
/// <param name="SchemaPath">The same path without indices (<c>camera.virtual[].fps</c>), for schema lookups.</param>
public sealed record TomlEntry(string Path, string SchemaPath, int Line, TomlValueKind Kind, string Value);

/// <summary>
/// Flattens a TOML document into its keys with line numbers, using Tomlyn's event parser.
/// The typed deserializer ignores unknown keys and knows nothing about lines of valid values,
/// so validation messages ("line 12: server.port = 70000 ...") and the unknown-key check
/// come from this index instead. It also lists what the document defines twice
/// (<see cref="Redefinitions"/>), which Tomlyn accepts silently.
/// </summary>
public sealed class TomlKeyIndex
{
    private readonly Dictionary<string, TomlEntry> _byPath = new(StringComparer.Ordinal);

    public IReadOnlyCollection<TomlEntry> Entries => _byPath.Values;

    /// <summary>Tables and keys the document defines twice, or extends where TOML 1.0 forbids it
    /// (<see cref="TomlDefinitions"/>), in document order. Such a document is invalid TOML: for these,
    /// <see cref="Entries"/> holds the first definition, and Tomlyn's deserializers merge or overwrite.</summary>
    public IReadOnlyList<TomlRedefinition> Redefinitions { get; private set; } = [];

    public TomlEntry? Find(string path) => _byPath.GetValueOrDefault(path);

    /// <summary>The first line that mentions the key or, failing that, its closest parent table.</summary>
    public int? LineOf(string path)
    {
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (_byPath.TryGetValue(p, out var e) && e.Line > 0) return e.Line;
        }
        return null;
    }

    /// <exception cref="TomlException">on a syntax error (with line and column).</exception>
    public static TomlKeyIndex Parse(string text, string sourceName)
    {
        var index = new TomlKeyIndex();
        var parser = TomlParser.Create(text, new TomlParserOptions { Mode = TomlParserMode.Strict },
            new TomlSerializerOptions { SourceName = sourceName });
        if (!parser.MoveNext() || parser.Current.Kind != TomlParseEventKind.StartDocument) return index;
        if (!parser.MoveNext()) return index;
        if (parser.Current.Kind == TomlParseEventKind.StartTable) index.ReadTable(parser, "", "");

        // The event stream no longer tells a [table] header from a dotted key or an implicit super-table,
        // so the definition rules are checked on the syntax tree (the text is known to be well-formed here).
        var syntax = SyntaxParser.Parse(text, sourceName, validate: false);
        if (!syntax.HasErrors) index.Redefinitions = TomlDefinitions.Check(syntax);
        return index;
    }

    private void ReadTable(TomlParser p, string path, string schemaPath)
    {
        while (p.MoveNext())
        {
            var ev = p.Current;
            if (ev.Kind == TomlParseEventKind.EndTable) return;
            if (ev.Kind != TomlParseEventKind.PropertyName) continue;
            var name = p.GetPropertyName();
            var line = ev.Line;
            var childPath = path.Length == 0 ? name : path + "." + name;
            var childSchema = schemaPath.Length == 0 ? name : schemaPath + "." + name;
            if (!p.MoveNext()) return;
            ReadValue(p, childPath, childSchema, line);
        }
    }

    private void ReadValue(TomlParser p, string path, string schemaPath, int line)
    {
        var ev = p.Current;
        switch (ev.Kind)
        {
            case TomlParseEventKind.StartTable:
                Add(new TomlEntry(path, schemaPath, line, TomlValueKind.Table, ""));
                ReadTable(p, path, schemaPath);
                break;
            case TomlParseEventKind.StartArray:
                ReadArray(p, path, schemaPath, line);
                break;
            default:
                Add(new TomlEntry(path, schemaPath, line, KindOf(ev.Kind), Scalar(p)));
                break;
        }
    }

    private void ReadArray(TomlParser p, string path, string schemaPath, int line)
    {
        var items = new List<string>();
        var tables = 0;
        while (p.MoveNext())
        {
            var ev = p.Current;
            switch (ev.Kind)
            {
                case TomlParseEventKind.EndArray:
                    if (tables == 0 || items.Count > 0)
                        Add(new TomlEntry(path, schemaPath, line, TomlValueKind.Array, "[" + string.Join(", ", items) + "]"));
                    else
                        Add(new TomlEntry(path, schemaPath, line, TomlValueKind.Table, ""));
                    return;
                case TomlParseEventKind.StartTable:
                    var elementPath = $"{path}[{tables++}]";
                    Add(new TomlEntry(elementPath, schemaPath + "[]", line, TomlValueKind.Table, ""));
                    ReadTable(p, elementPath, schemaPath + "[]");
                    break;
                case TomlParseEventKind.StartArray:
                    // Nested arrays are not part of our schema; keep the shape visible in the value.
                    var nested = new TomlKeyIndex();
                    nested.ReadArray(p, "x", "x", line);
                    items.Add(nested._byPath["x"].Value);
                    break;
                default:
                    items.Add(ev.Kind == TomlParseEventKind.String ? Quote(p.GetString() ?? "") : Scalar(p));
                    break;
            }
        }
    }

    private void Add(TomlEntry entry) => _byPath.TryAdd(entry.Path, entry);

    private static TomlValueKind KindOf(TomlParseEventKind kind) => kind switch
    {
        TomlParseEventKind.String => TomlValueKind.String,
        TomlParseEventKind.Integer => TomlValueKind.Integer,
        TomlParseEventKind.Float => TomlValueKind.Float,
        TomlParseEventKind.Boolean => TomlValueKind.Boolean,
        _ => TomlValueKind.DateTime,
    };

    private static string Scalar(TomlParser p)
    {
        var ev = p.Current;
        return ev.Kind switch
        {
            TomlParseEventKind.String => p.GetString() ?? "",
            TomlParseEventKind.Integer => ev.GetInt64().ToString(CultureInfo.InvariantCulture),
            TomlParseEventKind.Float => ev.GetDouble().ToString("R", CultureInfo.InvariantCulture),
            TomlParseEventKind.Boolean => ev.GetBoolean() ? "true" : "false",
            _ => ev.GetTomlDateTime().ToString(),
        };
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    internal static string Parent(string path)
    {
        var dot = path.LastIndexOf('.');
        var bracket = path.LastIndexOf('[');
        var cut = Math.Max(dot, bracket);
        return cut <= 0 ? "" : path[..cut];
    }
}
