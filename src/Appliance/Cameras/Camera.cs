namespace Appliance.Cameras;

public enum CameraStatus { Connected, Disconnected, Error }

/// <summary>
/// Everything the service knows about one camera, as one immutable value: the registry swaps
/// whole values, so a reader never sees half an update. Source-neutral: a V4L2 node and a test
/// pattern are both described in these terms; what only one of them has is optional.
/// </summary>
/// <param name="Id">Its names: device id, stream path, file prefix (see <see cref="CameraId"/>).</param>
/// <param name="Identity">Stable identity across re-plugs: the /dev/v4l/by-id name, else driver + bus_info.</param>
/// <param name="InputFormat">The fourcc the camera is read in (null when there is none to choose, as for a test pattern).</param>
/// <param name="TestPattern">The FFmpeg test source a virtual camera draws (testsrc2, smptebars, ...); null for V4L2.</param>
public sealed record Camera(
    CameraId Id,
    string Name,
    CameraStatus Status,
    string Identity,
    FrameSize Resolution,
    int Fps,
    string? InputFormat,
    IReadOnlyList<VideoFormat> Formats,
    IReadOnlyList<VideoMode> Modes,
    string ValidationStatus,
    string? Error,
    DateTimeOffset Since,
    string? Driver = null,
    string? BusInfo = null,
    string? ById = null,
    string? TestPattern = null)
{
    /// <summary>The id clients use: "/dev/videoN" for V4L2 nodes, "virtualN" for test-pattern cameras.</summary>
    public string Device => Id.Device;

    /// <summary>The MediaMTX path: "cameraN" for /dev/videoN, "virtualN" for virtual cameras.</summary>
    public string StreamPath => Id.StreamPath;

    public CameraSource Source => Id.Source;

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
}
