using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Appliance.Cameras.V4L2;

// The kernel's V4L2 structs from linux/videodev2.h, field for field. All members are __u8/__u32,
// so the layout is the same on x86-64 and ARM64 (no pointers, no longs); V4l2LayoutTests compiles
// a C program against the kernel header for both architectures and compares every size and offset.

[InlineArray(16)] public struct Bytes16 { private byte _e; }
[InlineArray(32)] public struct Bytes32 { private byte _e; }
[InlineArray(3)] public struct UInt3 { private uint _e; }
[InlineArray(2)] public struct UInt2 { private uint _e; }

/// <summary>struct v4l2_capability (VIDIOC_QUERYCAP).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct V4l2Capability
{
    public Bytes16 Driver;
    public Bytes32 Card;
    public Bytes32 BusInfo;
    public uint Version;
    public uint Capabilities;
    public uint DeviceCaps;
    public UInt3 Reserved;
}

/// <summary>struct v4l2_fmtdesc (VIDIOC_ENUM_FMT).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct V4l2FmtDesc
{
    public uint Index;
    public uint Type;
    public uint Flags;
    public Bytes32 Description;
    public uint PixelFormat;
    public uint MbusCode;
    public UInt3 Reserved;
}

/// <summary>struct v4l2_frmsizeenum (VIDIOC_ENUM_FRAMESIZES). The union is laid out as its
/// largest member (stepwise); the discrete size shares its first two fields.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct V4l2FrmSizeEnum
{
    public uint Index;
    public uint PixelFormat;
    public uint Type;
    public uint MinWidthOrWidth;     // discrete.width   | stepwise.min_width
    public uint MaxWidthOrHeight;    // discrete.height  | stepwise.max_width
    public uint StepWidth;           //                  | stepwise.step_width
    public uint MinHeight;
    public uint MaxHeight;
    public uint StepHeight;
    public UInt2 Reserved;
}

/// <summary>struct v4l2_frmivalenum (VIDIOC_ENUM_FRAMEINTERVALS). Union: discrete v4l2_fract, or stepwise min/max/step fractions.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct V4l2FrmIvalEnum
{
    public uint Index;
    public uint PixelFormat;
    public uint Width;
    public uint Height;
    public uint Type;
    public uint MinNumerator;     // discrete.numerator   | stepwise.min.numerator
    public uint MinDenominator;   // discrete.denominator | stepwise.min.denominator
    public uint MaxNumerator;
    public uint MaxDenominator;
    public uint StepNumerator;
    public uint StepDenominator;
    public UInt2 Reserved;
}

public static class V4l2
{
    public const uint CapVideoCapture = 0x00000001;
    public const uint CapVideoCaptureMplane = 0x00001000;
    public const uint CapMetaCapture = 0x00800000;
    public const uint CapStreaming = 0x04000000;
    public const uint CapDeviceCaps = 0x80000000;

    public const uint BufTypeVideoCapture = 1;
    public const uint BufTypeVideoCaptureMplane = 9;

    public const uint FrmSizeTypeDiscrete = 1;
    public const uint FrmSizeTypeContinuous = 2;
    public const uint FrmSizeTypeStepwise = 3;
    public const uint FrmIvalTypeDiscrete = 1;

    public const uint FmtFlagCompressed = 0x0001;
    public const uint FmtFlagEmulated = 0x0002;

    // _IOC(dir, type, nr, size) from asm-generic/ioctl.h, which both x86-64 and ARM64 use:
    // nr bits 0-7, type bits 8-15, size bits 16-29, direction bits 30-31 (write = 1, read = 2).
    private const int IocWrite = 1;
    private const int IocRead = 2;

    public static nuint Ioc(int direction, char type, int number, int size) =>
        (nuint)(((uint)direction << 30) | ((uint)size << 16) | ((uint)type << 8) | (uint)number);

    public static nuint IoR(char type, int number, int size) => Ioc(IocRead, type, number, size);
    public static nuint IoWR(char type, int number, int size) => Ioc(IocRead | IocWrite, type, number, size);

    public static readonly nuint VidiocQuerycap = IoR('V', 0, Unsafe.SizeOf<V4l2Capability>());
    public static readonly nuint VidiocEnumFmt = IoWR('V', 2, Unsafe.SizeOf<V4l2FmtDesc>());
    public static readonly nuint VidiocEnumFramesizes = IoWR('V', 74, Unsafe.SizeOf<V4l2FrmSizeEnum>());
    public static readonly nuint VidiocEnumFrameintervals = IoWR('V', 75, Unsafe.SizeOf<V4l2FrmIvalEnum>());

    /// <summary>A NUL-terminated C string in a fixed byte array.</summary>
    public static string CString(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? bytes : bytes[..end]).Trim();
    }

    /// <summary>The V4L2 big-endian flag on a fourcc (V4L2_PIX_FMT_FLAG_BE, bit 31): the same layout with
    /// its bytes swapped, e.g. 'AR15' | BE for ARGB555X.</summary>
    public const uint FourCcBigEndian = 1u << 31;

    /// <summary>"YUYV", "MJPG", "H264" from a V4L2 fourcc, spelled as v4l2-ctl spells it: a code with the
    /// big-endian flag is the 7-bit letters plus "-BE" ("AR15-BE"), not a '?' in the last place.</summary>
    public static string FourCc(uint code)
    {
        var letters = string.Create(4, code, static (span, c) =>
        {
            for (var i = 0; i < 4; i++)
            {
                var ch = (char)((c >> (8 * i)) & 0x7F);
                span[i] = ch is >= ' ' and <= '~' ? ch : '?';
            }
        }).TrimEnd();
        return (code & FourCcBigEndian) != 0 ? letters + "-BE" : letters;
    }
}
