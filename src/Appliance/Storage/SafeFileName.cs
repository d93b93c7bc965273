using System.Text;

namespace Appliance.Storage;

/// <summary>
/// Every file name a client sends (RPC <c>filename</c>, the last segment of a download URL) must
/// be a BARE name inside its directory. The checks are on the string alone, before the file
/// system is touched, so nothing a client sends is ever resolved as a path: no separators, no
/// "..", no NUL or control characters, no leading '.', at most 255 bytes (the Linux NAME_MAX),
/// valid Unicode, and one of the collection's extensions. What the name then refers to is checked
/// by <see cref="FileCatalog.Find"/> without following symlinks.
/// </summary>
public static class SafeFileName
{
    public const int MaxBytes = 255;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Null when <paramref name="name"/> is acceptable, else why not (a sentence naming 'filename').</summary>
    public static string? Problem(string? name, MediaKind kind)
    {
        if (string.IsNullOrEmpty(name)) return "'filename' is required";
        int bytes;
        try { bytes = StrictUtf8.GetByteCount(name); }
        catch (EncoderFallbackException) { return "'filename' is not valid Unicode"; }
        if (bytes > MaxBytes) return $"'filename' is longer than {MaxBytes} bytes";
        if (name.Contains('\0')) return "'filename' contains a NUL character";
        if (name.Any(char.IsControl)) return "'filename' contains a control character";
        if (name.StartsWith('/')) return "'filename' must be a bare file name, not an absolute path";
        if (name.Contains('/') || name.Contains('\\')) return "'filename' must be a bare file name, without '/' or '\\'";
        if (name.Contains("..", StringComparison.Ordinal)) return "'filename' must not contain '..'";
        // Hidden names are the service's own temporary files (atomic writes), never a finished file.
        if (name.StartsWith('.')) return "'filename' must not start with '.'";
        if (!MediaKinds.HasAllowedExtension(kind, name))
            return $"'filename' must end in {string.Join(" or ", MediaKinds.Extensions(kind))}";
        return null;
    }

    public static bool IsAcceptable(string? name, MediaKind kind) => Problem(name, kind) is null;
}
