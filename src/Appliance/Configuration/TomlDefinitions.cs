using Tomlyn.Syntax;

namespace Appliance.Configuration;

/// <summary>A table or key that a TOML document defines twice (TOML 1.0 forbids it).</summary>
/// <param name="Path">Where, named the way <see cref="TomlKeyIndex"/> names keys (<c>recording</c>, <c>camera.virtual[1].name</c>).</param>
/// <param name="Line">The line of the second definition.</param>
/// <param name="FirstLine">The line of the first definition.</param>
/// <param name="Message">E.g. <c>table [recording] is defined twice (first at line 1)</c>.</param>
public sealed record TomlRedefinition(string Path, int Line, int FirstLine, string Message);

/// <summary>
/// TOML 1.0's rules on defining tables and keys ("Keys", "Table", "Inline Table" and "Array of Tables" in
/// the spec), checked on Tomlyn's syntax tree, where a <c>[table]</c> header, a dotted key and an inline table
/// can still be told apart. Tomlyn's event parser and deserializers accept most of these documents (two
/// <c>[recording]</c> tables are merged into one), so <see cref="TomlKeyIndex"/> runs this.
/// <list type="bullet">
/// <item>A key or a table is defined once; <c>port</c> and <c>"port"</c> are the same key.</item>
/// <item>A <c>[table]</c> header may define a table that an earlier header created on the way to a sub-table
/// (<c>[x.y.z]</c> then <c>[x]</c>), but not one a dotted key, an inline table or <c>[[x]]</c> defined.</item>
/// <item>Dotted keys define tables too: they may add to them only under the same header (or in the root table,
/// or within the same inline table), and never to a table a header or <c>[[x]]</c> defined. A header may still
/// add sub-tables to a table dotted keys defined (<c>[fruit]</c>, <c>apple.color = ...</c>, <c>[fruit.apple.texture]</c>).</item>
/// <item>Inline tables and array values are closed; <c>[[x]]</c> adds an element to an array of tables only, and
/// each element is a fresh table.</item>
/// </list>
/// </summary>
internal sealed class TomlDefinitions
{
    private enum How { Implicit, Header, Dotted, Inline, Element, TableArray, Value, ArrayValue }

    private sealed class Node(How how, int line, string path)
    {
        public How How { get; set; } = how;
        public int Line { get; set; } = line;
        public string Path { get; } = path;
        /// <summary>Implicit: the header that created it; Dotted: the dotted key; Header/TableArray: the header.</summary>
        public string By { get; set; } = "";
        /// <summary>Dotted: the header section (or inline table) whose keys may add to it.</summary>
        public int Section { get; set; }
        public Dictionary<string, Node> Children { get; } = new(StringComparer.Ordinal);
        public List<Node> Elements { get; } = [];
    }

    private readonly List<TomlRedefinition> _found = [];
    private readonly Node _root = new(How.Header, 0, "");
    private int _sections;

    public static List<TomlRedefinition> Check(DocumentSyntax document)
    {
        var check = new TomlDefinitions();
        check.KeyValues(document.KeyValues, check._root, section: 0);
        foreach (var table in document.Tables)
        {
            var target = check.Header(table) ?? new Node(How.Header, 0, ""); // keys under a rejected header: still checked among themselves
            check.KeyValues(table.Items, target, ++check._sections);
        }
        return check._found;
    }

    private Node? Header(TableSyntaxBase table)
    {
        var line = LineOf(table.OpenBracket ?? (SyntaxNodeBase)table);
        var names = Names(table.Name);
        if (names.Count == 0) return null;
        var isArray = table is TableArraySyntax;
        var header = isArray ? $"[[{Display(names)}]]" : $"[{Display(names)}]";
        var parent = _root;
        for (var i = 0; i < names.Count - 1 && parent is not null; i++)
            parent = IntoForHeader(parent, names[i], line, header);
        if (parent is null) return null;

        var name = names[^1];
        if (!parent.Children.TryGetValue(name, out var existing))
        {
            var created = new Node(isArray ? How.TableArray : How.Header, line, Join(parent.Path, name)) { By = header };
            parent.Children[name] = created;
            return isArray ? NewElement(created, line) : created;
        }
        if (isArray && existing.How == How.TableArray) return NewElement(existing, line);
        if (!isArray && existing.How == How.Implicit)
        {
            // [x.y.z] then [x]: defining a super-table afterwards is allowed (once).
            existing.How = How.Header;
            existing.Line = line;
            existing.By = header;
            return existing;
        }
        Report(existing, line, isArray ? $"array of tables {header}" : $"table {header}", isArray ? How.TableArray : How.Header);
        return null;
    }

    // A part of a header before the last: an existing table (or the newest element of an array of tables), or a new implicit one.
    private Node? IntoForHeader(Node parent, string name, int line, string header)
    {
        if (!parent.Children.TryGetValue(name, out var child))
        {
            child = new Node(How.Implicit, line, Join(parent.Path, name)) { By = header };
            parent.Children[name] = child;
            return child;
        }
        switch (child.How)
        {
            case How.TableArray: return child.Elements[^1];
            case How.Implicit or How.Header or How.Dotted or How.Element: return child;
            default:
                Report(child, line, $"table {child.Path} (by the header {header})", How.Header);
                return null;
        }
    }

    private static Node NewElement(Node array, int line)
    {
        var element = new Node(How.Element, line, $"{array.Path}[{array.Elements.Count}]") { By = array.By };
        array.Elements.Add(element);
        return element;
    }

    private void KeyValues(IEnumerable<KeyValueSyntax> keyValues, Node table, int section)
    {
        foreach (var kv in keyValues) KeyValue(kv, table, section);
    }

    private void KeyValue(KeyValueSyntax kv, Node table, int section)
    {
        var line = LineOf(kv.Key ?? (SyntaxNodeBase)kv);
        var names = Names(kv.Key);
        if (names.Count == 0) return;
        var dotted = Display(names);
        var parent = table;
        for (var i = 0; i < names.Count - 1 && parent is not null; i++)
            parent = IntoForDottedKey(parent, names[i], line, dotted, section);
        if (parent is null) return;

        var name = names[^1];
        var path = Join(parent.Path, name);
        if (parent.Children.TryGetValue(name, out var existing))
        {
            Report(existing, line, $"key {path}", How.Value);
            return;
        }
        parent.Children[name] = Value(kv.Value, path, line);
    }

    // A part of a dotted key before the last: a table these dotted keys (under this header) defined, or a new one.
    private Node? IntoForDottedKey(Node parent, string name, int line, string dotted, int section)
    {
        if (!parent.Children.TryGetValue(name, out var child))
        {
            child = new Node(How.Dotted, line, Join(parent.Path, name)) { By = dotted, Section = section };
            parent.Children[name] = child;
            return child;
        }
        if (child.How == How.Dotted && child.Section == section) return child;
        if (child.How == How.Implicit)
        {
            // Created on the way to a sub-table ([a.b.c], then [a] with b.d = 1): not yet defined, so dotted keys may.
            child.How = How.Dotted;
            child.Line = line;
            child.By = dotted;
            child.Section = section;
            return child;
        }
        Report(child, line, $"table {child.Path} (by the dotted key {dotted})", How.Dotted);
        return null;
    }

    private Node Value(ValueSyntax? value, string path, int line)
    {
        switch (value)
        {
            case InlineTableSyntax inline:
                var table = new Node(How.Inline, line, path);
                var section = ++_sections; // dotted keys inside may add to each other, nothing outside may add to it
                foreach (var item in inline.Items)
                    if (item.KeyValue is { } kv) KeyValue(kv, table, section);
                return table;
            case ArraySyntax array:
                var list = new Node(How.ArrayValue, line, path);
                var index = 0;
                foreach (var item in array.Items)
                    list.Elements.Add(Value(item.Value, $"{path}[{index++}]", item.Value is null ? line : LineOf(item.Value)));
                return list;
            default:
                return new Node(How.Value, line, path);
        }
    }

    private void Report(Node first, int line, string second, How secondHow)
    {
        var how = first.How switch
        {
            How.Header when secondHow == How.Header => "",
            How.Header => $", as the table {first.By}",
            How.Implicit => $", as a table by the header {first.By}",
            How.Dotted => $", by the dotted key {first.By}",
            How.Inline => ", as an inline table",
            How.TableArray or How.Element => $", as the array of tables {first.By}",
            How.ArrayValue => ", as an array",
            _ when secondHow == How.Value => "",
            _ => ", as a value",
        };
        _found.Add(new TomlRedefinition(first.Path, line, first.Line, $"{second} is defined twice (first at line {first.Line}{how})"));
    }

    private static int LineOf(SyntaxNodeBase node) => node.Span.Start.Line + 1;

    private static List<string> Names(KeySyntax? key)
    {
        var names = new List<string>();
        if (key is null) return names;
        names.Add(Name(key.Key));
        foreach (var dot in key.DotKeys) names.Add(Name(dot.Key));
        return names;
    }

    private static string Name(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax quoted => quoted.Value ?? "",
        _ => "",
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    // The key as TOML writes it: bare where it can be, quoted where it must be.
    private static string Display(List<string> names) => string.Join(".", names.Select(n =>
        n.Length > 0 && n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')
            ? n
            : "\"" + n.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\""));
}
