using System.Globalization;
using Appliance.Cameras;

namespace Appliance.Media;

/// <summary>The contract's file names: camera0_snapshot_2026-11-25_10-00-00.jpg, camera0_2026-11-25_10-00-00.mp4.</summary>
public static class MediaFileNames
{
    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd_HH-mm-ss", CultureInfo.InvariantCulture);

    public static string Snapshot(CameraId camera, DateTimeOffset t, string extension) => $"{camera.FilePrefix}snapshot_{Stamp(t)}.{extension}";

    /// <summary>camera0_2026-11-25_10-00-00.mp4 (or a later segment's name): the camera's prefix, then a
    /// timestamp; not camera0_snapshot_..., and not camera01_... of another camera.</summary>
    public static bool IsRecordingSegment(CameraId camera, string fileName) =>
        fileName.StartsWith(camera.FilePrefix, StringComparison.Ordinal)
        && fileName.Length > camera.FilePrefix.Length && char.IsAsciiDigit(fileName[camera.FilePrefix.Length]);

    /// <summary>A name not yet taken in the directory: the name itself, else name_1, name_2, ...</summary>
    public static string Unique(string directory, string fileName)
    {
        if (!File.Exists(Path.Combine(directory, fileName))) return fileName;
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var ext = Path.GetExtension(fileName);
        for (var i = 1; ; i++)
        {
            var candidate = $"{stem}_{i}{ext}";
            if (!File.Exists(Path.Combine(directory, candidate))) return candidate;
        }
    }

    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
