using Tomlyn;

namespace Appliance.Configuration;

/// <summary>
/// The set of keys the config understands, derived from the model itself: a sample config
/// (every collection given one element) is serialized with the source-generated context and
/// indexed. No reflection and no hand-kept key list that could drift from the classes.
/// </summary>
public static class ConfigSchema
{
    private static readonly Lazy<TomlKeyIndex> Sample = new(() =>
    {
        var sample = new ApplianceConfig();
        sample.Camera.Virtual.Add(new VirtualCameraConfig());
        return TomlKeyIndex.Parse(TomlSerializer.Serialize(sample, ConfigTomlContext.Default), "schema");
    });

    private static readonly Lazy<Dictionary<string, TomlEntry>> BySchemaPath = new(() =>
        Sample.Value.Entries.GroupBy(e => e.SchemaPath).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal));

    public static TomlEntry? Lookup(string schemaPath) => BySchemaPath.Value.GetValueOrDefault(schemaPath);

    /// <summary>Scalar and array keys directly inside a section (not inside arrays of tables): the keys an environment variable may override.</summary>
    public static IEnumerable<TomlEntry> OverridableKeys =>
        BySchemaPath.Value.Values.Where(e => e.Kind != TomlValueKind.Table && e.SchemaPath.Count(c => c == '.') == 1 && !e.SchemaPath.Contains('['));

    /// <summary>"did you mean" for an unknown key: the closest known key in the same table, else anywhere.</summary>
    public static string? Suggest(string unknownSchemaPath)
    {
        var parent = TomlKeyIndex.Parent(unknownSchemaPath);
        var name = unknownSchemaPath[(parent.Length == 0 ? 0 : parent.Length + 1)..];
        var siblings = BySchemaPath.Value.Keys.Where(k => TomlKeyIndex.Parent(k) == parent).ToList();
        var best = Closest(name, siblings.Select(s => (Name: s[(parent.Length == 0 ? 0 : parent.Length + 1)..], Full: s)));
        if (best is not null) return best;
        // A key placed in the wrong section: same name elsewhere.
        return BySchemaPath.Value.Keys.FirstOrDefault(k => k.EndsWith("." + name, StringComparison.Ordinal));
    }

    private static string? Closest(string name, IEnumerable<(string Name, string Full)> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var (candidate, full) in candidates)
        {
            var d = Levenshtein(name, candidate);
            if (d < bestDistance) { bestDistance = d; best = full; }
        }
        // Accept typos of up to a third of the word (at least 2 edits) so hints stay meaningful.
        return bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    internal static int Levenshtein(string a, string b)
    {
        Span<int> prev = stackalloc int[b.Length + 1];
        Span<int> cur = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            cur.CopyTo(prev);
        }
        return prev[b.Length];
    }
}
