using Appliance.Cameras.V4L2;

namespace Appliance.Cameras;

public enum CameraStatus { Connected, Disconnected, Error }

public enum CameraSource { V4l2, Virtual }

/// <summary>
/// Everything the service knows about one camera, as one immutable value: the registry swaps
/// whole values, so a reader never sees half an update.
/// </summary>
/// <param name="Device">The id clients use: "/dev/videoN" for V4L2 nodes, "virtualN" for test-pattern cameras.</param>
/// <param name="StreamPath">The MediaMTX path: "cameraN" for /dev/videoN, "virtualN" for virtual cameras.</param>
/// <param name="Identity">Stable identity across re-plugs: the /dev/v4l/by-id name, else driver + bus_info.</param>
public sealed record Camera(
    string Device,
    string StreamPath,
    string Name,
    CameraStatus Status,
    CameraSource Source,
    string Identity,
    FrameSize Resolution,
    int Fps,
    string? InputFormat,
    IReadOnlyList<V4l2Format> Formats,
    IReadOnlyList<V4l2Mode> Modes,
    string ValidationStatus,
    string? Error,
    DateTimeOffset Since,
    string? Driver = null,
    string? BusInfo = null,
    string? ById = null,
    string? VirtualPattern = null)
{
    public bool IsConnected => Status == CameraStatus.Connected;

    /// <summary>True when the camera itself encodes H.264, so the publisher can copy instead of re-encoding.</summary>
    public bool DeliversH264 => InputFormat == "H264";

    public IEnumerable<string> ResolutionNames => Modes.Select(m => m.Size).Distinct().OrderByDescending(s => s.Width * s.Height).Select(s => s.ToString());

    public IEnumerable<int> FpsOptions => Modes.SelectMany(m => m.FrameRates).Select(r => (int)Math.Round(r)).Where(r => r > 0).Distinct().OrderDescending();

    public static string StatusName(CameraStatus status) => status switch
    {
        CameraStatus.Connected => "CONNECTED",
        CameraStatus.Disconnected => "DISCONNECTED",
        _ => "ERROR",
    };

    /// <summary>"/dev/video3" -> "camera3"; anything else keeps its own name.</summary>
    public static string StreamPathFor(string device)
    {
        var name = Path.GetFileName(device);
        return name.StartsWith("video", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out var n) ? $"camera{n}" : device;
    }
}
