using Appliance.Cameras.V4L2;
using Appliance.Configuration;

namespace Appliance.Cameras.Virtual;

/// <summary>
/// Test-pattern cameras from <c>[[camera.virtual]]</c>, so the whole service can run and be
/// demonstrated on a machine without a camera. They are backed by FFmpeg's lavfi sources
/// (<see cref="InputArguments"/>), so they are only CONNECTED where FFmpeg can be run.
/// </summary>
public static class VirtualCameras
{
    /// <summary>The config key (an array of tables) that lists them; live: a reload applies it.</summary>
    public const string ConfigKey = "camera.virtual";

    public static IEnumerable<Camera> FromConfig(ApplianceConfig config, bool ffmpegAvailable)
    {
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < config.Camera.Virtual.Count; i++)
        {
            var v = config.Camera.Virtual[i];
            ResolutionText.TryParse(v.Resolution, out var w, out var h);
            var size = new FrameSize(w, h);
            var device = $"virtual{i}";
            yield return new Camera(device, device, v.Name,
                ffmpegAvailable ? CameraStatus.Connected : CameraStatus.Error, CameraSource.Virtual, $"virtual:{i}:{v.Pattern}",
                size, v.Fps, "lavfi", [new V4l2Format("lavfi", $"FFmpeg {v.Pattern} test pattern", false, false)],
                [new V4l2Mode("lavfi", size, [v.Fps])], ffmpegAvailable ? "confirmed" : "error",
                ffmpegAvailable ? null : $"FFmpeg ({config.Ffmpeg.Path}) not found: virtual cameras need it", now,
                VirtualPattern: v.Pattern);
        }
    }

    /// <summary>FFmpeg input arguments that produce this camera's picture, live-paced.</summary>
    public static IReadOnlyList<string> InputArguments(Camera camera) =>
    [
        "-re", "-f", "lavfi", "-i",
        $"{camera.VirtualPattern ?? "testsrc2"}=size={camera.Resolution.Width}x{camera.Resolution.Height}:rate={camera.Fps}",
    ];

    /// <summary>Whether an executable can be run: an absolute path, or a name found on PATH.</summary>
    public static bool ExecutableExists(string name)
    {
        if (name.Contains('/')) return File.Exists(name);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, name))) return true;
        return false;
    }
}
