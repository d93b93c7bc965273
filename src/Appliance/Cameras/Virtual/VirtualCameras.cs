using Appliance.Configuration;

namespace Appliance.Cameras.Virtual;

/// <summary>
/// Test-pattern cameras from <c>[[camera.virtual]]</c>, so the whole service can run and be
/// demonstrated on a machine without a camera. FFmpeg draws their picture (its lavfi sources, see
/// Media/Inputs), so they are only CONNECTED where FFmpeg can be run. A virtual camera has one mode,
/// its configured size and rate, and no capture format to choose.
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
            yield return new Camera(CameraId.Virtual(i), v.Name,
                ffmpegAvailable ? CameraStatus.Connected : CameraStatus.Error, $"virtual:{i}:{v.Pattern}",
                size, v.Fps, InputFormat: null, Formats: [], Modes: [new VideoMode(null, size, [v.Fps])],
                ffmpegAvailable ? "confirmed" : "error",
                ffmpegAvailable ? null : $"FFmpeg ({config.Ffmpeg.Path}) not found: virtual cameras need it", now,
                TestPattern: v.Pattern);
        }
    }

    /// <summary>Whether an executable can be run: an absolute path, or a name found on PATH.</summary>
    public static bool ExecutableExists(string name)
    {
        if (name.Contains('/')) return File.Exists(name);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, name))) return true;
        return false;
    }
}
