using System.Globalization;

namespace Appliance.Cameras;

/// <summary>Where a camera's picture comes from: a V4L2 capture node, or an FFmpeg test pattern.</summary>
public enum CameraSource { V4l2, Virtual }

/// <summary>
/// Who a camera is, in every spelling the appliance uses. This is the one place of the naming rule:
/// <list type="bullet">
/// <item>a V4L2 node <c>/dev/videoN</c> is the camera <c>cameraN</c> (its MediaMTX path and logical API id);</item>
/// <item>a test-pattern camera is <c>virtualN</c> as device, path and id alike;</item>
/// <item>the camera's recordings and snapshots are named <c>cameraN_...</c> / <c>virtualN_...</c> (<see cref="FilePrefix"/>).</item>
/// </list>
/// A number is ASCII digits only (no sign, no spaces): a name that passes here is safe in a URL path and a file name.
/// </summary>
public readonly record struct CameraId
{
    private const string NodeName = "video";
    private const string DevPrefix = "/dev/video";
    private const string StreamPrefix = "camera";
    private const string VirtualPrefix = "virtual";

    private CameraId(CameraSource source, int number, string device)
    {
        Source = source;
        Number = number;
        Device = device;
    }

    public CameraSource Source { get; }

    /// <summary>N of videoN / cameraN / virtualN.</summary>
    public int Number { get; }

    /// <summary>The id clients use and events carry: the node's path for V4L2 (kept as found, so
    /// "/dev/video3"), "virtualN" for a test-pattern camera.</summary>
    public string Device { get; }

    /// <summary>The MediaMTX path and the logical API id: "camera3" for /dev/video3, "virtual0" for virtual0.</summary>
    public string StreamPath => Source == CameraSource.Virtual ? Device : StreamPrefix + Number.ToString(CultureInfo.InvariantCulture);

    /// <summary>What this camera's recordings and snapshots start with: "camera3_".</summary>
    public string FilePrefix => StreamPath + "_";

    /// <summary>The <paramref name="index"/>-th test-pattern camera of <c>[[camera.virtual]]</c>.</summary>
    public static CameraId Virtual(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new CameraId(CameraSource.Virtual, index, VirtualPrefix + index.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The node discovery looks for as camera <paramref name="number"/>: videoN in <paramref name="devDirectory"/>.</summary>
    public static CameraId Node(string devDirectory, int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        return new CameraId(CameraSource.V4l2, number, Path.Combine(devDirectory, NodeName + number.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>A V4L2 node discovery found: its file name is videoN, its directory whatever discovery
    /// scans (/dev on a device, a temporary directory in tests).</summary>
    public static CameraId ForNode(string nodePath)
    {
        var name = Path.GetFileName(nodePath.AsSpan());
        return name.StartsWith(NodeName, StringComparison.Ordinal) && TryNumber(name[NodeName.Length..], out var n)
            ? new CameraId(CameraSource.V4l2, n, nodePath)
            : throw new ArgumentException($"'{nodePath}' is not a V4L2 capture node (videoN)", nameof(nodePath));
    }

    /// <summary>A MediaMTX path name this service owns: cameraN or virtualN.</summary>
    public static bool TryParseStreamPath(string name, out CameraId id)
    {
        if (name.StartsWith(StreamPrefix, StringComparison.Ordinal) && TryNumber(name.AsSpan(StreamPrefix.Length), out var n))
        {
            id = new CameraId(CameraSource.V4l2, n, DevPrefix + n.ToString(CultureInfo.InvariantCulture));
            return true;
        }
        if (name.StartsWith(VirtualPrefix, StringComparison.Ordinal) && TryNumber(name.AsSpan(VirtualPrefix.Length), out n))
        {
            id = new CameraId(CameraSource.Virtual, n, name);
            return true;
        }
        id = default;
        return false;
    }

    /// <summary>What a client may name a camera with, whether or not it is connected: "/dev/videoN",
    /// "cameraN" (meaning /dev/videoN) or "virtualN". Anything else (another path, "../x") is not a camera.</summary>
    public static bool TryParse(string text, out CameraId id)
    {
        if (text.StartsWith(DevPrefix, StringComparison.Ordinal) && TryNumber(text.AsSpan(DevPrefix.Length), out var n))
        {
            id = new CameraId(CameraSource.V4l2, n, text);
            return true;
        }
        return TryParseStreamPath(text, out id);
    }

    public override string ToString() => Device;

    private static bool TryNumber(ReadOnlySpan<char> digits, out int number)
    {
        number = 0;
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out number);
    }
}
