using System.Text;

namespace Appliance.Testing.MediaMtx.Hls;

/// <summary>
/// A URL query as Go's url.Values handles it in MediaMTX's HLS server: parsed into pairs, changed
/// with Set/Del, encoded sorted by key. And gohlslib's rule for playlists: every URI gets the
/// request's query appended.
/// </summary>
internal sealed class HlsQuery
{
    private readonly List<(string Key, string Value)> _pairs;

    private HlsQuery(List<(string Key, string Value)> pairs) => _pairs = pairs;

    public static HlsQuery Parse(string? query)
    {
        var pairs = new List<(string, string)>();
        foreach (var part in (query ?? "").TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            pairs.Add((Unescape(key), Unescape(value)));
        }
        return new HlsQuery(pairs);
    }

    public string? Get(string key) => _pairs.Where(p => p.Key == key).Select(p => p.Value).FirstOrDefault();

    public HlsQuery With(string key, string value) => new([.. _pairs.Where(p => p.Key != key), (key, value)]);

    public HlsQuery Without(string key) => new([.. _pairs.Where(p => p.Key != key)]);

    /// <summary>Go's Values.Encode: sorted by key (stable for repeated keys), QueryEscape'd.</summary>
    public string Encode() =>
        string.Join("&", _pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => Escape(p.Key) + "=" + Escape(p.Value)));

    /// <summary>The playlist with <paramref name="query"/> appended to each URI line and each URI="..." attribute.</summary>
    public static string AppendToUris(string playlist, string query)
    {
        if (query.Length == 0) return playlist;
        var result = new StringBuilder(playlist.Length + 64);
        foreach (var line in playlist.Split('\n'))
        {
            var l = line.TrimEnd('\r');
            if (l.Length == 0) { result.Append('\n'); continue; }
            if (!l.StartsWith('#')) result.Append(l).Append('?').Append(query);
            else
            {
                var at = l.IndexOf("URI=\"", StringComparison.Ordinal);
                var end = at < 0 ? -1 : l.IndexOf('"', at + 5);
                result.Append(end < 0 ? l : l[..end] + "?" + query + l[end..]);
            }
            result.Append('\n');
        }
        return result.ToString().TrimEnd('\n') + "\n";
    }

    private static string Unescape(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    private static string Escape(string s) => Uri.EscapeDataString(s).Replace("%20", "+");
}
