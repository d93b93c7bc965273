using Appliance.Configuration;

namespace Appliance.Cameras;

/// <summary>Chooses the mode a camera is streamed in: the configured resolution/fps when the
/// camera offers them, else the best it offers.</summary>
public static class CameraModes
{
    // Formats in order of preference for streaming: already H.264 (copy, no encode), then MJPEG
    // (cheap to decode at high resolutions), then raw.
    private static readonly string[] Preference = ["H264", "MJPG", "YUYV", "NV12", "YU12", "UYVY", "RGB3", "BGR3"];

    public static (string? Format, FrameSize Size, int Fps) Choose(IReadOnlyList<VideoMode> modes, CameraSection config)
    {
        if (modes.Count == 0) return (null, new FrameSize(0, 0), 0);
        var candidates = modes.AsEnumerable();
        if (ResolutionText.TryParse(config.DefaultResolution, out var w, out var h) && modes.Any(m => m.Size.Width == w && m.Size.Height == h))
            candidates = modes.Where(m => m.Size.Width == w && m.Size.Height == h);
        else
        {
            // The largest size that still runs at 15 fps or more, if there is one.
            var smooth = modes.Where(m => m.FrameRates.Count == 0 || m.FrameRates.Max() >= 15).ToList();
            var pool = smooth.Count > 0 ? smooth : modes.ToList();
            var largest = pool.Max(m => m.Size.Width * m.Size.Height);
            candidates = pool.Where(m => m.Size.Width * m.Size.Height == largest);
        }
        var best = candidates.OrderBy(m => Rank(m.FourCc)).First();
        var rates = best.FrameRates;
        int fps;
        if (config.DefaultFps > 0 && rates.Any(r => Math.Abs(r - config.DefaultFps) < 0.5)) fps = config.DefaultFps;
        else if (rates.Count == 0) fps = config.DefaultFps > 0 ? config.DefaultFps : 30;
        else fps = (int)Math.Round(rates.Where(r => r <= 30.5).DefaultIfEmpty(rates.Min()).Max());
        return (best.FourCc, best.Size, fps);
    }

    private static int Rank(string? fourcc)
    {
        var i = Array.IndexOf(Preference, fourcc);
        return i < 0 ? Preference.Length : i;
    }
}
