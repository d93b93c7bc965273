using System.Globalization;
using Appliance.Cameras;
using Appliance.Media.Inputs;

namespace Appliance.Media.Snapshots;

/// <summary>What a snapshot looks like: format, quality, size bound.</summary>
public sealed record SnapshotSettings(string Format, int Quality, int MaxWidth, int MaxHeight);

/// <summary>FFmpeg arguments for one still image written to stdout (image2pipe).</summary>
public static class SnapshotArguments
{
    /// <summary>From the live RTSP stream: the wait is for the next keyframe (see <see cref="StreamProbing"/>).</summary>
    public static List<string> FromStream(string rtspUrl, SnapshotSettings s) =>
    [
        "-hide_banner", "-loglevel", "error", "-nostdin",
        // No -fflags nobuffer: it drops the keyframe read while probing, and the wait doubles (measured: p50 807 -> 434 ms).
        "-rtsp_transport", "tcp", "-flags", "low_delay",
        .. StreamProbing.Arguments,
        "-i", rtspUrl, .. Output(s, skipFrames: 0),
    ];

    /// <summary>Straight from the camera while nobody streams it. The first frames of a camera that
    /// has just opened are often black or badly exposed (auto-exposure is still settling), so about
    /// half a second of frames is dropped first.</summary>
    public static List<string> FromDevice(Camera camera, SnapshotSettings s)
    {
        // A test pattern has no exposure to settle: the first frame is good, and it is drawn as fast as possible.
        var skip = camera.Source == CameraSource.Virtual ? 0 : Math.Max(1, camera.Fps / 2);
        return
        [
            "-hide_banner", "-loglevel", "error", "-nostdin",
            .. CameraInput.Arguments(camera, realTime: false), .. Output(s, skip),
        ];
    }

    private static List<string> Output(SnapshotSettings s, int skipFrames)
    {
        var filters = new List<string>();
        if (skipFrames > 0) filters.Add($"select=gte(n\\,{skipFrames})");
        if (s.MaxWidth > 0 || s.MaxHeight > 0)
        {
            // Shrink to fit the bound keeping the aspect ratio; never enlarge.
            var w = s.MaxWidth > 0 ? $"min({s.MaxWidth},iw)" : "-2";
            var h = s.MaxHeight > 0 ? $"min({s.MaxHeight},ih)" : "-2";
            filters.Add(s.MaxWidth > 0 && s.MaxHeight > 0
                ? $"scale=w='{w}':h='{h}':force_original_aspect_ratio=decrease:force_divisible_by=2"
                : $"scale=w='{w}':h='{h}'");
        }
        var args = new List<string> { "-an", "-frames:v", "1" };
        if (filters.Count > 0) args.AddRange(["-vf", string.Join(',', filters)]);
        if (s.Format == "png")
        {
            args.AddRange(["-c:v", "png", "-f", "image2pipe", "-"]);
        }
        else
        {
            // quality 100 -> qscale 2 (best), 1 -> 31 (smallest); full-range JPEG colours.
            var q = (int)Math.Round(31 - (s.Quality - 1) * 29.0 / 99);
            args.AddRange(["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", q.ToString(CultureInfo.InvariantCulture), "-f", "image2pipe", "-"]);
        }
        return args;
    }
}
