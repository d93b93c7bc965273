using System.Globalization;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>Times as Go's encoding/json writes a time.Time (RFC 3339 with trimmed fractional
/// seconds), in UTC.</summary>
internal static class GoTime
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
