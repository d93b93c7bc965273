namespace Appliance.Update;

/// <summary>
/// What install_update accepts as <c>bundle</c>: an absolute path to an existing, non-empty regular
/// <c>*.raucb</c> file on this box, or an <c>http://</c>/<c>https://</c> URL that RAUC streams from.
/// Anything else is refused before RAUC sees it: RAUC would resolve a relative path against our
/// working directory, and would happily try other URL schemes or device files.
/// </summary>
public static class BundleLocation
{
    public const string Extension = ".raucb";

    /// <summary>Null when <paramref name="bundle"/> is acceptable, else why not (for -32602).</summary>
    public static string? Problem(string bundle)
    {
        if (bundle.Any(char.IsControl)) return "'bundle' must not contain control characters";
        if (bundle.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || bundle.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(bundle, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 && !bundle.Contains(' ')
                ? null
                : $"'bundle' is not a valid URL: {bundle}";
        }
        if (bundle.Contains("://", StringComparison.Ordinal))
            return "'bundle' URLs must be http:// or https://";
        if (!bundle.StartsWith('/'))
            return "'bundle' must be an absolute path (starting with /) or an http(s):// URL";
        if (bundle.Split('/').Contains(".."))
            return "'bundle' must not contain '..'";
        if (!bundle.EndsWith(Extension, StringComparison.Ordinal))
            return $"'bundle' must be a RAUC bundle ({Extension} file)";
        if (Directory.Exists(bundle))
            return $"'bundle' is a directory: {bundle}";
        // File.Exists and FileInfo follow a symlink to its target, which must be the regular file.
        var file = new FileInfo(bundle);
        if (!file.Exists)
            return $"'bundle' does not exist: {bundle}";
        // Device nodes and FIFOs report no size: an empty "bundle" is never one.
        if (file.Length == 0)
            return $"'bundle' is empty or not a regular file: {bundle}";
        return null;
    }
}
