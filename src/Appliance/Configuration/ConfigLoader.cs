using System.Collections;
using System.Globalization;
using Tomlyn;
using Tomlyn.Model;

namespace Appliance.Configuration;

/// <summary>The outcome of reading a config: the typed config when it is usable, and every problem found.</summary>
public sealed record ConfigLoadResult(ApplianceConfig? Config, IReadOnlyList<ConfigProblem> Problems, IReadOnlyList<string> Warnings)
{
    public bool IsValid => Config is not null && Problems.Count == 0;
}

/// <summary>
/// File -> syntax check -> tables and keys defined twice -> unknown keys and value kinds (with lines) -> environment overrides
/// (APPLIANCE_SECTION_KEY) -> typed config (source-generated) -> semantic validation.
/// All problems of all stages that can run are reported together.
/// </summary>
public static class ConfigLoader
{
    public const string EnvPrefix = "APPLIANCE_";
    /// <summary>The one APPLIANCE_ variable that is not a config key: the development build's fault switch (Hosting/FaultInjection).</summary>
    public const string FaultInjectionVariable = EnvPrefix + "FAULT";

    public static ConfigLoadResult LoadFile(string path, IDictionary? environment = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ConfigLoadResult(null, [new ConfigProblem("(file)", null, $"cannot read the config file: {ex.Message}", path, null)], []);
        }
        return Load(text, path, environment ?? Environment.GetEnvironmentVariables());
    }

    public static ConfigLoadResult Load(string text, string sourceName, IDictionary environment)
    {
        var problems = new List<ConfigProblem>();
        var warnings = new List<string>();

        TomlKeyIndex index;
        try
        {
            index = TomlKeyIndex.Parse(text, sourceName);
        }
        catch (TomlException ex)
        {
            return new ConfigLoadResult(null, [SyntaxProblem(ex, sourceName)], []);
        }

        // A table or key given twice is invalid TOML; Tomlyn merges the two tables silently (and its untyped
        // model, used for overrides, keeps the last of two values).
        foreach (var twice in index.Redefinitions)
            problems.Add(new ConfigProblem(twice.Path, null, twice.Message, sourceName, twice.Line));

        // Unknown keys are ignored by the deserializer; values of the wrong kind are dropped
        // (the default stands in) so that the semantic checks below still run on the rest.
        var wrongKind = CheckKeys(index, sourceName, problems);
        var overrides = ReadOverrides(environment, problems, warnings);

        // Such a document has no meaning in TOML: what Tomlyn makes of it is not judged.
        if (index.Redefinitions.Count > 0) return new ConfigLoadResult(null, problems, warnings);

        ApplianceConfig config;
        try
        {
            var effective = overrides.Count == 0 && wrongKind.Count == 0 ? text : Rewrite(text, wrongKind, overrides);
            config = TomlSerializer.Deserialize<ApplianceConfig>(effective, ConfigTomlContext.Default) ?? new ApplianceConfig();
        }
        catch (TomlException ex)
        {
            // Kinds were checked above, so this is a value the model cannot hold (e.g. an integer too large).
            problems.Add(SyntaxProblem(ex, sourceName));
            return new ConfigLoadResult(null, problems, warnings);
        }

        foreach (var (key, value, message) in ConfigValidator.Validate(config))
        {
            var env = overrides.FirstOrDefault(o => o.Key == key);
            problems.Add(env is not null
                ? new ConfigProblem(key, value, message, $"environment variable {env.Variable}", null)
                : new ConfigProblem(key, value, message, sourceName, index.LineOf(key)));
        }

        if (problems.Count > 0) return new ConfigLoadResult(null, problems, warnings);
        ResolveRelativePaths(config, Path.GetDirectoryName(Path.GetFullPath(sourceName)) ?? "/");
        return new ConfigLoadResult(config, problems, warnings);
    }

    /// <summary>The defaults, validated like a file (used when no file exists yet, and by tests).</summary>
    public static ApplianceConfig Defaults() => new();

    private static ConfigProblem SyntaxProblem(TomlException ex, string source)
    {
        // Tomlyn's message already carries "(line,col) : error : ..."; keep the first diagnostic readable.
        var message = ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "invalid TOML";
        return new ConfigProblem("(syntax)", null, message, source, ex.Line > 0 ? ex.Line : null);
    }

    private static List<string> CheckKeys(TomlKeyIndex index, string source, List<ConfigProblem> problems)
    {
        var wrongKind = new List<string>();
        foreach (var entry in index.Entries.OrderBy(e => e.Line))
        {
            var known = ConfigSchema.Lookup(entry.SchemaPath);
            if (known is null)
            {
                // Report only the outermost unknown key, not every key inside an unknown table.
                if (ConfigSchema.Lookup(TomlKeyIndex.Parent(entry.SchemaPath)) is null && TomlKeyIndex.Parent(entry.SchemaPath).Length > 0) continue;
                var hint = ConfigSchema.Suggest(entry.SchemaPath);
                problems.Add(new ConfigProblem(entry.Path, entry.Kind == TomlValueKind.Table ? null : Display(entry), hint is null
                    ? "unknown key"
                    : $"unknown key (did you mean \"{hint.Replace("[]", "")}\"?)", source, entry.Line));
                continue;
            }
            if (!KindFits(known.Kind, entry.Kind))
            {
                wrongKind.Add(entry.Path);
                problems.Add(new ConfigProblem(entry.Path, Display(entry), $"expected {Describe(known.Kind)}, found {Describe(entry.Kind)}", source, entry.Line));
            }
        }
        return wrongKind;
    }

    // An integer is a fine value for a key whose default is fractional (timeout = 5).
    private static bool KindFits(TomlValueKind expected, TomlValueKind actual) =>
        expected == actual || (expected == TomlValueKind.Float && actual == TomlValueKind.Integer);

    private static string Display(TomlEntry e) => e.Kind == TomlValueKind.String ? $"\"{e.Value}\"" : e.Value;

    private static string Describe(TomlValueKind kind) => kind switch
    {
        TomlValueKind.Table => "a table",
        TomlValueKind.String => "a string",
        TomlValueKind.Integer => "an integer",
        TomlValueKind.Float => "a number",
        TomlValueKind.Boolean => "true or false",
        TomlValueKind.DateTime => "a date-time",
        _ => "an array",
    };

    private sealed record EnvOverride(string Key, string Variable, object Value);

    private static List<EnvOverride> ReadOverrides(IDictionary environment, List<ConfigProblem> problems, List<string> warnings)
    {
        var byVariable = ConfigSchema.OverridableKeys.ToDictionary(
            e => EnvPrefix + e.SchemaPath.Replace('.', '_').ToUpperInvariant(), e => e, StringComparer.Ordinal);
        var result = new List<EnvOverride>();
        foreach (DictionaryEntry pair in environment)
        {
            if (pair.Key is not string name || !name.StartsWith(EnvPrefix, StringComparison.Ordinal)) continue;
            if (name == FaultInjectionVariable) continue;
            var raw = pair.Value as string ?? "";
            if (!byVariable.TryGetValue(name, out var key))
            {
                warnings.Add($"environment variable {name} does not name a config key; ignored");
                continue;
            }
            if (TryConvert(key, raw, out var value))
                result.Add(new EnvOverride(key.SchemaPath, name, value));
            else
                problems.Add(new ConfigProblem(key.SchemaPath, $"\"{raw}\"", $"expected {Describe(key.Kind)}", $"environment variable {name}", null));
        }
        return result;
    }

    private static bool TryConvert(TomlEntry key, string raw, out object value)
    {
        value = raw;
        var inv = CultureInfo.InvariantCulture;
        switch (key.Kind)
        {
            case TomlValueKind.Integer when long.TryParse(raw, NumberStyles.Integer, inv, out var l): value = l; return true;
            case TomlValueKind.Float when double.TryParse(raw, NumberStyles.Float, inv, out var d): value = d; return true;
            case TomlValueKind.Boolean:
                switch (raw.Trim().ToLowerInvariant())
                {
                    case "true" or "1" or "yes" or "on": value = true; return true;
                    case "false" or "0" or "no" or "off": value = false; return true;
                    default: return false;
                }
            case TomlValueKind.String: return true;
            case TomlValueKind.Array:
                var array = new TomlArray();
                foreach (var item in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    array.Add(long.TryParse(item, NumberStyles.Integer, inv, out var n) ? n : item);
                value = array;
                return true;
            default: return false;
        }
    }

    // Round-trips the document through Tomlyn's untyped model to drop values of the wrong kind
    // and apply environment overrides, then hands the text to the typed deserializer.
    private static string Rewrite(string text, List<string> drop, List<EnvOverride> overrides)
    {
        var table = TomlSerializer.Deserialize<TomlTable>(text, ConfigTomlContext.Default) ?? new TomlTable();
        foreach (var path in drop) Remove(table, path);
        foreach (var o in overrides)
        {
            var dot = o.Key.IndexOf('.');
            var section = o.Key[..dot];
            if (!table.TryGetValue(section, out var existing) || existing is not TomlTable sectionTable)
            {
                sectionTable = new TomlTable();
                table[section] = sectionTable;
            }
            sectionTable[o.Key[(dot + 1)..]] = o.Value;
        }
        return TomlSerializer.Serialize(table, ConfigTomlContext.Default);
    }

    // path: a.b[2].c
    private static void Remove(TomlTable root, string path)
    {
        var segments = path.Split('.');
        object? node = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var bracket = segment.IndexOf('[');
            var name = bracket < 0 ? segment : segment[..bracket];
            if (node is not TomlTable table) return;
            if (i == segments.Length - 1 && bracket < 0) { table.Remove(name); return; }
            if (!table.TryGetValue(name, out node)) return;
            if (bracket >= 0)
            {
                var at = int.Parse(segment[(bracket + 1)..^1], CultureInfo.InvariantCulture);
                node = node switch
                {
                    TomlTableArray tables when at < tables.Count => tables[at],
                    TomlArray array when at < array.Count => array[at],
                    _ => null,
                };
            }
        }
    }

    private static void ResolveRelativePaths(ApplianceConfig c, string baseDir)
    {
        string Resolve(string p) => Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p));
        c.Recording.Path = Resolve(c.Recording.Path);
        c.Snapshots.Path = Resolve(c.Snapshots.Path);
        c.Storage.StateDir = Resolve(c.Storage.StateDir);
        c.Security.ApiKeysFile = Resolve(c.Security.ApiKeysFile);
        // Empty TLS paths mean "the device certificate" and stay empty.
        if (c.Server.TlsCertificate.Length > 0) c.Server.TlsCertificate = Resolve(c.Server.TlsCertificate);
        if (c.Server.TlsKey.Length > 0) c.Server.TlsKey = Resolve(c.Server.TlsKey);
        if (c.Server.TlsDirectory.Length > 0) c.Server.TlsDirectory = Resolve(c.Server.TlsDirectory);
    }
}
