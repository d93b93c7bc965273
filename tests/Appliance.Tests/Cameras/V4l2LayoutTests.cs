using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Appliance.Cameras.V4L2;
using Appliance.Tests.Support;

namespace Appliance.Tests.Cameras;

/// <summary>
/// Proves the C# V4L2 structs and ioctl numbers match the kernel's: a C program compiled against
/// linux/videodev2.h prints sizeof/offsetof/request values, for x86-64 (cc) and for ARM64
/// (aarch64-linux-gnu-gcc, run under qemu-aarch64-static), and every value is compared.
/// </summary>
public class V4l2LayoutTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/videodev2.h>
        #define S(t) printf("sizeof %s %zu\n", #t, sizeof(struct t));
        #define O(t, f) printf("offsetof %s.%s %zu\n", #t, #f, offsetof(struct t, f));
        #define R(r) printf("request %s %lu\n", #r, (unsigned long)(r));
        #define C(c) printf("const %s %lu\n", #c, (unsigned long)(c));
        int main(void) {
          S(v4l2_capability) O(v4l2_capability, driver) O(v4l2_capability, card) O(v4l2_capability, bus_info)
          O(v4l2_capability, version) O(v4l2_capability, capabilities) O(v4l2_capability, device_caps) O(v4l2_capability, reserved)
          S(v4l2_fmtdesc) O(v4l2_fmtdesc, index) O(v4l2_fmtdesc, type) O(v4l2_fmtdesc, flags) O(v4l2_fmtdesc, description)
          O(v4l2_fmtdesc, pixelformat) O(v4l2_fmtdesc, mbus_code) O(v4l2_fmtdesc, reserved)
          S(v4l2_frmsizeenum) O(v4l2_frmsizeenum, index) O(v4l2_frmsizeenum, pixel_format) O(v4l2_frmsizeenum, type)
          O(v4l2_frmsizeenum, discrete.width) O(v4l2_frmsizeenum, discrete.height)
          O(v4l2_frmsizeenum, stepwise.min_width) O(v4l2_frmsizeenum, stepwise.max_width) O(v4l2_frmsizeenum, stepwise.step_width)
          O(v4l2_frmsizeenum, stepwise.min_height) O(v4l2_frmsizeenum, stepwise.max_height) O(v4l2_frmsizeenum, stepwise.step_height)
          O(v4l2_frmsizeenum, reserved)
          S(v4l2_frmivalenum) O(v4l2_frmivalenum, index) O(v4l2_frmivalenum, pixel_format) O(v4l2_frmivalenum, width)
          O(v4l2_frmivalenum, height) O(v4l2_frmivalenum, type) O(v4l2_frmivalenum, discrete.numerator) O(v4l2_frmivalenum, discrete.denominator)
          O(v4l2_frmivalenum, stepwise.min.numerator) O(v4l2_frmivalenum, stepwise.min.denominator)
          O(v4l2_frmivalenum, stepwise.max.numerator) O(v4l2_frmivalenum, stepwise.max.denominator)
          O(v4l2_frmivalenum, stepwise.step.numerator) O(v4l2_frmivalenum, stepwise.step.denominator) O(v4l2_frmivalenum, reserved)
          R(VIDIOC_QUERYCAP) R(VIDIOC_ENUM_FMT) R(VIDIOC_ENUM_FRAMESIZES) R(VIDIOC_ENUM_FRAMEINTERVALS)
          C(V4L2_CAP_VIDEO_CAPTURE) C(V4L2_CAP_VIDEO_CAPTURE_MPLANE) C(V4L2_CAP_META_CAPTURE) C(V4L2_CAP_DEVICE_CAPS)
          C(V4L2_BUF_TYPE_VIDEO_CAPTURE) C(V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE) C(V4L2_FRMSIZE_TYPE_DISCRETE) C(V4L2_FRMIVAL_TYPE_DISCRETE)
          C(V4L2_FMT_FLAG_COMPRESSED) C(V4L2_FMT_FLAG_EMULATED)
          return 0;
        }
        """;

    private static Dictionary<string, ulong> Expected()
    {
        static ulong Off<T>(string field) => (ulong)Marshal.OffsetOf<T>(field);
        return new()
        {
            ["sizeof v4l2_capability"] = (ulong)Unsafe.SizeOf<V4l2Capability>(),
            ["offsetof v4l2_capability.driver"] = Off<V4l2Capability>(nameof(V4l2Capability.Driver)),
            ["offsetof v4l2_capability.card"] = Off<V4l2Capability>(nameof(V4l2Capability.Card)),
            ["offsetof v4l2_capability.bus_info"] = Off<V4l2Capability>(nameof(V4l2Capability.BusInfo)),
            ["offsetof v4l2_capability.version"] = Off<V4l2Capability>(nameof(V4l2Capability.Version)),
            ["offsetof v4l2_capability.capabilities"] = Off<V4l2Capability>(nameof(V4l2Capability.Capabilities)),
            ["offsetof v4l2_capability.device_caps"] = Off<V4l2Capability>(nameof(V4l2Capability.DeviceCaps)),
            ["offsetof v4l2_capability.reserved"] = Off<V4l2Capability>(nameof(V4l2Capability.Reserved)),
            ["sizeof v4l2_fmtdesc"] = (ulong)Unsafe.SizeOf<V4l2FmtDesc>(),
            ["offsetof v4l2_fmtdesc.index"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.Index)),
            ["offsetof v4l2_fmtdesc.type"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.Type)),
            ["offsetof v4l2_fmtdesc.flags"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.Flags)),
            ["offsetof v4l2_fmtdesc.description"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.Description)),
            ["offsetof v4l2_fmtdesc.pixelformat"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.PixelFormat)),
            ["offsetof v4l2_fmtdesc.mbus_code"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.MbusCode)),
            ["offsetof v4l2_fmtdesc.reserved"] = Off<V4l2FmtDesc>(nameof(V4l2FmtDesc.Reserved)),
            ["sizeof v4l2_frmsizeenum"] = (ulong)Unsafe.SizeOf<V4l2FrmSizeEnum>(),
            ["offsetof v4l2_frmsizeenum.index"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.Index)),
            ["offsetof v4l2_frmsizeenum.pixel_format"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.PixelFormat)),
            ["offsetof v4l2_frmsizeenum.type"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.Type)),
            ["offsetof v4l2_frmsizeenum.discrete.width"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MinWidthOrWidth)),
            ["offsetof v4l2_frmsizeenum.discrete.height"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MaxWidthOrHeight)),
            ["offsetof v4l2_frmsizeenum.stepwise.min_width"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MinWidthOrWidth)),
            ["offsetof v4l2_frmsizeenum.stepwise.max_width"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MaxWidthOrHeight)),
            ["offsetof v4l2_frmsizeenum.stepwise.step_width"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.StepWidth)),
            ["offsetof v4l2_frmsizeenum.stepwise.min_height"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MinHeight)),
            ["offsetof v4l2_frmsizeenum.stepwise.max_height"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.MaxHeight)),
            ["offsetof v4l2_frmsizeenum.stepwise.step_height"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.StepHeight)),
            ["offsetof v4l2_frmsizeenum.reserved"] = Off<V4l2FrmSizeEnum>(nameof(V4l2FrmSizeEnum.Reserved)),
            ["sizeof v4l2_frmivalenum"] = (ulong)Unsafe.SizeOf<V4l2FrmIvalEnum>(),
            ["offsetof v4l2_frmivalenum.index"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.Index)),
            ["offsetof v4l2_frmivalenum.pixel_format"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.PixelFormat)),
            ["offsetof v4l2_frmivalenum.width"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.Width)),
            ["offsetof v4l2_frmivalenum.height"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.Height)),
            ["offsetof v4l2_frmivalenum.type"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.Type)),
            ["offsetof v4l2_frmivalenum.discrete.numerator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MinNumerator)),
            ["offsetof v4l2_frmivalenum.discrete.denominator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MinDenominator)),
            ["offsetof v4l2_frmivalenum.stepwise.min.numerator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MinNumerator)),
            ["offsetof v4l2_frmivalenum.stepwise.min.denominator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MinDenominator)),
            ["offsetof v4l2_frmivalenum.stepwise.max.numerator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MaxNumerator)),
            ["offsetof v4l2_frmivalenum.stepwise.max.denominator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.MaxDenominator)),
            ["offsetof v4l2_frmivalenum.stepwise.step.numerator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.StepNumerator)),
            ["offsetof v4l2_frmivalenum.stepwise.step.denominator"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.StepDenominator)),
            ["offsetof v4l2_frmivalenum.reserved"] = Off<V4l2FrmIvalEnum>(nameof(V4l2FrmIvalEnum.Reserved)),
            ["request VIDIOC_QUERYCAP"] = V4l2.VidiocQuerycap,
            ["request VIDIOC_ENUM_FMT"] = V4l2.VidiocEnumFmt,
            ["request VIDIOC_ENUM_FRAMESIZES"] = V4l2.VidiocEnumFramesizes,
            ["request VIDIOC_ENUM_FRAMEINTERVALS"] = V4l2.VidiocEnumFrameintervals,
            ["const V4L2_CAP_VIDEO_CAPTURE"] = V4l2.CapVideoCapture,
            ["const V4L2_CAP_VIDEO_CAPTURE_MPLANE"] = V4l2.CapVideoCaptureMplane,
            ["const V4L2_CAP_META_CAPTURE"] = V4l2.CapMetaCapture,
            ["const V4L2_CAP_DEVICE_CAPS"] = V4l2.CapDeviceCaps,
            ["const V4L2_BUF_TYPE_VIDEO_CAPTURE"] = V4l2.BufTypeVideoCapture,
            ["const V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE"] = V4l2.BufTypeVideoCaptureMplane,
            ["const V4L2_FRMSIZE_TYPE_DISCRETE"] = V4l2.FrmSizeTypeDiscrete,
            ["const V4L2_FRMIVAL_TYPE_DISCRETE"] = V4l2.FrmIvalTypeDiscrete,
            ["const V4L2_FMT_FLAG_COMPRESSED"] = V4l2.FmtFlagCompressed,
            ["const V4L2_FMT_FLAG_EMULATED"] = V4l2.FmtFlagEmulated,
        };
    }

    [TestCase("x86-64", "cc", null)]
    [TestCase("arm64", "aarch64-linux-gnu-gcc", "qemu-aarch64-static")]
    public void StructLayoutsAndRequestNumbersMatchTheKernelHeader(string arch, string compiler, string? runner)
    {
        Require(compiler, "the C compiler");
        if (runner is not null) Require(runner, "the user-mode emulator");
        using var dir = new TestDirectory();
        var source = dir.Write("layout.c", Program);
        var binary = dir.File("layout-" + arch);
        Run(compiler, ["-static", "-O0", "-o", binary, source]);
        var output = runner is null ? Run(binary, []) : Run(runner, [binary]);

        var actual = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .ToDictionary(p => p[0] + " " + p[1], p => ulong.Parse(p[2]));
        var expected = Expected();
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        var mismatches = expected.Where(e => actual[e.Key] != e.Value).Select(e => $"{e.Key}: kernel {actual[e.Key]}, C# {e.Value}").ToList();
        Assert.That(mismatches, Is.Empty, $"{arch} layout differs");
    }

    [Test]
    public void FourCcAndCStringsDecodeLikeTheKernelWritesThem()
    {
        Assert.That(V4l2.FourCc(0x56595559), Is.EqualTo("YUYV"));
        Assert.That(V4l2.FourCc(0x47504A4D), Is.EqualTo("MJPG"));
        Assert.That(V4l2.FourCc(0x34363248), Is.EqualTo("H264"));
        // Big-endian variants (V4L2_PIX_FMT_FLAG_BE, bit 31) as v4l2-ctl prints them: vivid's ARGB555X is 'AR15' | BE.
        Assert.That(V4l2.FourCc(0x35315241u | V4l2.FourCcBigEndian), Is.EqualTo("AR15-BE"));
        Assert.That(V4l2.FourCc(0x35315241u), Is.EqualTo("AR15"));
        Assert.That(V4l2.FourCc(0x20303159u | V4l2.FourCcBigEndian), Is.EqualTo("Y10-BE"), "a padded code: trimmed, then the flag");
        Assert.That(V4l2.CString("vivid\0garbage"u8), Is.EqualTo("vivid"));
        Assert.That(V4l2.CString("no terminator"u8), Is.EqualTo("no terminator"));
    }

    private static void Require(string tool, string what)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
        Assert.That(found, Is.True, $"{what} '{tool}' is not installed: run `dotnet pwsh ./build.ps1 deps` (Debian: gcc-aarch64-linux-gnu, qemu-user-static)");
    }

    private static string Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(60_000), Is.True, $"{file} hung");
        Assert.That(p.ExitCode, Is.EqualTo(0), $"{file} {string.Join(' ', args)} failed: {stderr.Result}");
        return stdout.Result;
    }
}
