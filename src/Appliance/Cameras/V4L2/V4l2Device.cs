using System.Runtime.InteropServices;

namespace Appliance.Cameras.V4L2;

/// <summary>What QUERYCAP says about a node.</summary>
public sealed record V4l2Identity(string Driver, string Card, string BusInfo, uint Version, uint Capabilities, uint DeviceCaps)
{
    /// <summary>The node's own capabilities: device_caps when the driver fills it (V4L2_CAP_DEVICE_CAPS),
    /// else the whole device's (older drivers).</summary>
    public uint NodeCaps => (Capabilities & V4l2.CapDeviceCaps) != 0 ? DeviceCaps : Capabilities;

    /// <summary>A video capture node. A UVC camera also has a metadata-only node (META_CAPTURE, no
    /// VIDEO_CAPTURE in its device_caps): that one is not a camera.</summary>
    public bool IsVideoCapture => (NodeCaps & (V4l2.CapVideoCapture | V4l2.CapVideoCaptureMplane)) != 0;
}

/// <summary>One entry of VIDIOC_ENUM_FMT. Emulated: libv4l converts it from another format in user space.</summary>
public sealed record V4l2Format(string FourCc, string Description, bool Compressed, bool Emulated);

/// <summary>A V4L2 error with the errno, so callers can tell "busy" from "no permission" from "gone".</summary>
public sealed class V4l2Exception(string path, string operation, int errno)
    : IOException($"{path}: {operation} failed: {LibC.Describe(errno)}")
{
    public int Errno { get; } = errno;
    public bool IsGone => Errno is LibC.ENoEnt or LibC.ENoDev or LibC.ENxio;
    public bool IsPermission => Errno == LibC.EAcces;
    public bool IsBusy => Errno == LibC.EBusy;
}

/// <summary>
/// An open /dev/videoN node, queried with ioctl. Iot.Device.Bindings' VideoDevice opens nodes
/// blocking, reads only the device-wide capabilities (so it cannot tell a UVC metadata node from
/// the camera) and does not enumerate frame intervals; discovery needs all three, so it has its
/// own small interop here. The node is opened O_NONBLOCK: discovery must never wait on a camera.
/// </summary>
public sealed class V4l2Device : IDisposable
{
    private int _fd;

    private V4l2Device(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    public string Path { get; }

    public static V4l2Device Open(string path)
    {
        var fd = LibC.Open(path, LibC.ORdWr | LibC.ONonBlock | LibC.OCloExec);
        if (fd < 0) throw new V4l2Exception(path, "open", Marshal.GetLastPInvokeError());
        return new V4l2Device(path, fd);
    }

    public V4l2Identity QueryCapabilities()
    {
        var cap = default(V4l2Capability);
        int rc;
        do rc = LibC.Ioctl(_fd, V4l2.VidiocQuerycap, ref cap);
        while (Interrupted(rc));
        if (rc < 0) throw new V4l2Exception(Path, "VIDIOC_QUERYCAP", Marshal.GetLastPInvokeError());
        return new V4l2Identity(V4l2.CString(cap.Driver), V4l2.CString(cap.Card), V4l2.CString(cap.BusInfo),
            cap.Version, cap.Capabilities, cap.DeviceCaps);
    }

    /// <summary>How far any enumeration goes before giving up on a driver that never says EINVAL. Real
    /// lists are far shorter (vivid has 80 formats); reaching it is logged (see <see cref="Truncated"/>).</summary>
    public const uint EnumerationCap = 4096;

    /// <summary>Enumerations that reached <see cref="EnumerationCap"/> without the kernel's end of list.</summary>
    public List<string> Truncated { get; } = [];

    /// <summary>ENUM_FMT until EINVAL (the documented end of the list).</summary>
    public List<(V4l2Format Format, uint Code)> EnumerateFormats(uint bufferType = V4l2.BufTypeVideoCapture)
    {
        var result = new List<(V4l2Format, uint)>();
        for (uint i = 0; ; i++)
        {
            if (i == EnumerationCap) { Truncate("VIDIOC_ENUM_FMT"); break; }
            var desc = new V4l2FmtDesc { Index = i, Type = bufferType };
            int rc;
            do rc = LibC.Ioctl(_fd, V4l2.VidiocEnumFmt, ref desc);
            while (Interrupted(rc));
            if (!Continue(rc, "VIDIOC_ENUM_FMT")) break;
            result.Add((new V4l2Format(V4l2.FourCc(desc.PixelFormat), V4l2.CString(desc.Description),
                (desc.Flags & V4l2.FmtFlagCompressed) != 0, (desc.Flags & V4l2.FmtFlagEmulated) != 0), desc.PixelFormat));
        }
        return result;
    }

    /// <summary>Frame sizes of a format. Stepwise/continuous ranges are reduced to the common sizes
    /// inside the range plus its maximum, since clients choose from a list.</summary>
    public List<FrameSize> EnumerateFrameSizes(uint pixelFormat)
    {
        var sizes = new List<FrameSize>();
        for (uint i = 0; ; i++)
        {
            if (i == EnumerationCap) { Truncate($"VIDIOC_ENUM_FRAMESIZES {V4l2.FourCc(pixelFormat)}"); break; }
            var e = new V4l2FrmSizeEnum { Index = i, PixelFormat = pixelFormat };
            int rc;
            do rc = LibC.Ioctl(_fd, V4l2.VidiocEnumFramesizes, ref e);
            while (Interrupted(rc));
            if (!Continue(rc, "VIDIOC_ENUM_FRAMESIZES")) break;
            if (e.Type == V4l2.FrmSizeTypeDiscrete)
            {
                sizes.Add(new FrameSize((int)e.MinWidthOrWidth, (int)e.MaxWidthOrHeight));
                continue;
            }
            // Stepwise or continuous: one entry describes the whole range.
            var (minW, maxW, stepW, minH, maxH, stepH) = (e.MinWidthOrWidth, e.MaxWidthOrHeight, Math.Max(1u, e.StepWidth), e.MinHeight, e.MaxHeight, Math.Max(1u, e.StepHeight));
            foreach (var common in CommonSizes)
            {
                if (common.Width >= minW && common.Width <= maxW && common.Height >= minH && common.Height <= maxH
                    && (common.Width - minW) % stepW == 0 && (common.Height - minH) % stepH == 0)
                    sizes.Add(common);
            }
            sizes.Add(new FrameSize((int)maxW, (int)maxH));
            break;
        }
        return [.. sizes.Distinct().OrderByDescending(s => s.Width * s.Height)];
    }

    /// <summary>Frame rates (frames per second) at a size; stepwise ranges give their maximum and minimum.</summary>
    public List<double> EnumerateFrameRates(uint pixelFormat, FrameSize size)
    {
        var rates = new List<double>();
        for (uint i = 0; ; i++)
        {
            if (i == EnumerationCap) { Truncate($"VIDIOC_ENUM_FRAMEINTERVALS {V4l2.FourCc(pixelFormat)} {size.Width}x{size.Height}"); break; }
            var e = new V4l2FrmIvalEnum { Index = i, PixelFormat = pixelFormat, Width = (uint)size.Width, Height = (uint)size.Height };
            int rc;
            do rc = LibC.Ioctl(_fd, V4l2.VidiocEnumFrameintervals, ref e);
            while (Interrupted(rc));
            if (!Continue(rc, "VIDIOC_ENUM_FRAMEINTERVALS")) break;
            // An interval is seconds per frame: fps = denominator / numerator.
            if (e.MinNumerator > 0) rates.Add(Math.Round((double)e.MinDenominator / e.MinNumerator, 3));
            if (e.Type != V4l2.FrmIvalTypeDiscrete)
            {
                if (e.MaxNumerator > 0) rates.Add(Math.Round((double)e.MaxDenominator / e.MaxNumerator, 3));
                break;
            }
        }
        return [.. rates.Where(r => r > 0).Distinct().OrderDescending()];
    }

    private void Truncate(string what) =>
        Truncated.Add($"{what} on {Path}: stopped after {EnumerationCap} entries without the kernel's end of list");

    /// <summary>Sizes offered in stepwise ranges (vivid, some CSI bridges).</summary>
    private static readonly FrameSize[] CommonSizes =
    [
        new(320, 240), new(640, 360), new(640, 480), new(800, 600), new(1024, 768), new(1280, 720),
        new(1280, 960), new(1600, 1200), new(1920, 1080), new(2560, 1440), new(3840, 2160),
    ];

    private static bool Interrupted(int rc) => rc < 0 && Marshal.GetLastPInvokeError() == LibC.EIntr;

    // EINVAL ends every V4L2 enumeration; ENOTTY means the driver does not implement it.
    private bool Continue(int rc, string operation)
    {
        if (rc == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno is LibC.EInval or LibC.ENoTty) return false;
        throw new V4l2Exception(Path, operation, errno);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) LibC.Close(fd);
    }
}
