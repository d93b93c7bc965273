using System.Globalization;
using Appliance.Cameras;

namespace Appliance.Media.Inputs;

/// <summary>
/// The FFmpeg input arguments that read a camera's own picture (not its MediaMTX stream): a V4L2
/// node in the camera's chosen mode, or a virtual camera's test pattern. The one place that knows
/// how each camera source is opened; the publisher and the device snapshot both start here, so
/// a source added to <see cref="CameraSource"/> is added once.
/// </summary>
public static class CameraInput
{
    /// <summary>V4L2 fourcc -> FFmpeg's v4l2 <c>-input_format</c> name. A fourcc not listed is left to
    /// FFmpeg's default choice.</summary>
    private static readonly Dictionary<string, string> V4l2InputFormats = new(StringComparer.Ordinal)
    {
        ["MJPG"] = "mjpeg", ["JPEG"] = "mjpeg", ["H264"] = "h264", ["YUYV"] = "yuyv422", ["UYVY"] = "uyvy422",
        ["NV12"] = "nv12", ["YU12"] = "yuv420p", ["RGB3"] = "rgb24", ["BGR3"] = "bgr24", ["GREY"] = "gray",
    };

    /// <summary>The test source a virtual camera draws when its config names none.</summary>
    private const string DefaultTestPattern = "testsrc2";

    /// <param name="realTime">Pace a test pattern at its frame rate (a publisher, whose readers expect
    /// live time); false draws it as fast as FFmpeg can (a still image). A V4L2 camera is paced by
    /// the camera itself either way.</param>
    public static List<string> Arguments(Camera camera, bool realTime) => camera.Source switch
    {
        CameraSource.Virtual => TestPattern(camera, realTime),
        _ => V4l2(camera),
    };

    private static List<string> V4l2(Camera camera)
    {
        var args = new List<string> { "-f", "v4l2" };
        if (camera.InputFormat is { } fourcc && V4l2InputFormats.TryGetValue(fourcc, out var name)) args.AddRange(["-input_format", name]);
        if (camera.Resolution.Width > 0) args.AddRange(["-video_size", camera.Resolution.ToString()]);
        if (camera.Fps > 0) args.AddRange(["-framerate", camera.Fps.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-i", camera.Device]);
        return args;
    }

    private static List<string> TestPattern(Camera camera, bool realTime)
    {
        var args = new List<string>();
        if (realTime) args.Add("-re");
        args.AddRange(["-f", "lavfi", "-i",
            $"{camera.TestPattern ?? DefaultTestPattern}=size={camera.Resolution.Width}x{camera.Resolution.Height}:rate={camera.Fps}"]);
        return args;
    }
}
