using System.Globalization;
using System.Text;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Media.Inputs;

namespace Appliance.Media;

/// <summary>
/// The FFmpeg command MediaMTX runs on demand to publish a camera to its RTSP path. Built as an
/// argument list from config, then quoted into the one string MediaMTX's runOnDemand takes
/// (MediaMTX splits it shell-style and runs it without a shell).
/// </summary>
public static class PublisherCommand
{
    /// <param name="publishUrl">Where to publish: the camera's RTSP URL on the media server, with this
    /// boot's publish credential (the media server asks the auth hook about every publisher).</param>
    public static List<string> Arguments(Camera camera, ApplianceConfig config, string publishUrl)
    {
        var f = config.Ffmpeg;
        var args = new List<string> { f.Path, "-hide_banner", "-loglevel", "error", "-nostdin" };
        // Real time: a test pattern drawn faster than live would run ahead of its readers' clocks.
        args.AddRange(CameraInput.Arguments(camera, realTime: true));

        if (camera.DeliversH264)
        {
            // The camera already encodes H.264: pass it through untouched.
            args.AddRange(["-c:v", "copy"]);
        }
        else
        {
            var gop = KeyframeInterval(f.Gop, camera.Fps).ToString(CultureInfo.InvariantCulture);
            args.AddRange(["-c:v", f.VideoCodec]);
            if (f.VideoCodec == "libx264")
                args.AddRange(["-profile:v", f.Profile, "-level:v", f.Level, "-preset", f.Preset, "-tune", "zerolatency"]);
            args.AddRange(["-pix_fmt", f.PixelFormat, "-b:v", f.Bitrate, "-maxrate", f.Bitrate, "-bufsize", f.Bitrate,
                // A fixed, short keyframe interval: a reader (snapshot, recording) starts at the next keyframe.
                "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0"]);
        }
        args.AddRange(["-an", "-f", "rtsp", "-rtsp_transport", "tcp", publishUrl]);
        return args;
    }

    /// <summary>Keyframe interval in frames: <c>ffmpeg.gop</c> when set, else (0, the default) half a
    /// second of the camera's frames. A reader (snapshot, recording) waits for the next keyframe, so
    /// a time-based interval keeps a snapshot under a second at any frame rate (15 frames are 0.5 s
    /// at 30 fps but a whole second at 15 fps).</summary>
    public static int KeyframeInterval(int gop, int fps) =>
        gop > 0 ? gop : Math.Max(1, (int)Math.Round((fps > 0 ? fps : 30) * KeyframeSeconds, MidpointRounding.AwayFromZero));

    private const double KeyframeSeconds = 0.5;

    public static string CommandLine(Camera camera, ApplianceConfig config, string publishUrl) => Join(Arguments(camera, config, publishUrl));

    /// <summary>POSIX-shell quoting: plain words stay as they are, anything else goes in single quotes.</summary>
    public static string Join(IEnumerable<string> args)
    {
        var sb = new StringBuilder();
        foreach (var a in args)
        {
            if (sb.Length > 0) sb.Append(' ');
            if (a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "_@%+=:,./-".Contains(c))) sb.Append(a);
            else sb.Append('\'').Append(a.Replace("'", "'\\''")).Append('\'');
        }
        return sb.ToString();
    }
}
