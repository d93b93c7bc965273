using System.Text.RegularExpressions;

namespace Appliance.Testing.MediaMtx.Config;

/// <summary>MediaMTX's rules for path names (conf.IsValidPathName). Names starting with "~" are
/// regular expressions there; the stand-in stores them but creates no runtime path for them.</summary>
internal static partial class PathNameRules
{
    public static bool IsRegexp(string name) => name.StartsWith('~');

    /// <summary>The error MediaMTX gives, or null when the name is valid.</summary>
    public static string? Problem(string name)
    {
        if (IsRegexp(name)) return null;
        string? reason = name switch
        {
            "" => "cannot be empty",
            _ when name[0] == '/' => "can't begin with a slash",
            _ when name[^1] == '/' => "can't end with a slash",
            _ when !Allowed().IsMatch(name) => "can contain only alphanumeric characters, underscore, dot, tilde, minus, slash, colon",
            _ when name.Contains("//", StringComparison.Ordinal) => "can't contain two consecutive slashes",
            _ => null,
        };
        return reason is null ? null : $"invalid path name '{name}': {reason}";
    }

    [GeneratedRegex(@"^[0-9a-zA-Z_\-/.~:]+$")]
    private static partial Regex Allowed();
}
