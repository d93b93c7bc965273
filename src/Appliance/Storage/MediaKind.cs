using Appliance.Configuration;

namespace Appliance.Storage;

public enum MediaKind { Recording, Snapshot }

/// <summary>What differs between the two file collections: directory, allowed extensions,
/// download URL, content types and the word used in messages.</summary>
public static class MediaKinds
{
    private static readonly string[] RecordingExtensions = [".mp4", ".mkv", ".ts"];
    private static readonly string[] SnapshotExtensions = [".jpg", ".jpeg", ".png"];

    public static string ConfiguredDirectory(ApplianceConfig config, MediaKind kind) =>
        kind == MediaKind.Recording ? config.Recording.Path : config.Snapshots.Path;

    public static IReadOnlyList<string> Extensions(MediaKind kind) => kind == MediaKind.Recording ? RecordingExtensions : SnapshotExtensions;

    /// <summary>"Recording" / "Snapshot", for messages such as "Recording not found: x.mp4".</summary>
    public static string Label(MediaKind kind) => kind == MediaKind.Recording ? "Recording" : "Snapshot";

    /// <summary>The URL segment: /files/recordings/NAME, /files/snapshots/NAME.</summary>
    public static string UrlSegment(MediaKind kind) => kind == MediaKind.Recording ? "recordings" : "snapshots";

    public static string DownloadUrl(MediaKind kind, string name) => $"/files/{UrlSegment(kind)}/{Uri.EscapeDataString(name)}";

    public static bool HasAllowedExtension(MediaKind kind, string name) =>
        Extensions(kind).Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Content-Type of a download, from the (already allowed) extension.</summary>
    public static string ContentType(string name) => Path.GetExtension(name).ToLowerInvariant() switch
    {
        ".mp4" => "video/mp4",
        ".mkv" => "video/x-matroska",
        ".ts" => "video/mp2t",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
