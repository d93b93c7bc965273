using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Appliance.Cameras.V4L2;

namespace Appliance.Tests.Vm;

/// <summary>
/// What the service reads from a camera against what the kernel says, on the VM's vivid nodes:
/// every format, size and frame rate of <c>v4l2-ctl --list-formats-ext</c> (v4l-utils, the
/// kernel's own tool) must be what V4l2Device enumerates. vivid lists 80 formats, more than the
/// 64 the first enumeration stopped at, and spells some with the big-endian flag (AR15-BE).
/// </summary>
[Category("Vm")]
[NonParallelizable]
public partial class VividFormatsTests
{
    [SetUp]
    public void InVm() => VmEnvironment.Require();

    [TestCase("/dev/video0")]
    [TestCase("/dev/video1")]
    public void EveryFormatSizeAndRateIsWhatV4l2CtlLists(string device)
    {
        var kernel = ListFormatsExt(device);
        using var node = V4l2Device.Open(device);
        var bufferType = (node.QueryCapabilities().NodeCaps & V4l2.CapVideoCapture) != 0 ? V4l2.BufTypeVideoCapture : V4l2.BufTypeVideoCaptureMplane;
        var ours = new List<string>();
        foreach (var (format, code) in node.EnumerateFormats(bufferType))
            foreach (var size in node.EnumerateFrameSizes(code))
                ours.Add($"{format.FourCc} {size.Width}x{size.Height} @ {string.Join(",", node.EnumerateFrameRates(code, size).Order().Select(Fps))}");

        var formats = kernel.Select(k => k.Split(' ')[0]).Distinct().ToList();
        Assert.That(formats, Has.Count.GreaterThan(64), "vivid lists more than 64 formats");
        Assert.That(node.Truncated, Is.Empty);
        Assert.That(ours.Select(o => o.Split(' ')[0]).Distinct(), Is.EqualTo(formats), "formats, in the kernel's order");
        Assert.That(ours.Order(StringComparer.Ordinal), Is.EqualTo(kernel.Order(StringComparer.Ordinal)), "every format × size × rate");
        Assert.That(formats.Any(f => f.EndsWith("-BE", StringComparison.Ordinal)), Is.True, "a big-endian format is spelled with -BE");
        VmEnvironment.Record($"vivid {device}: {formats.Count} formats, {kernel.Count} format×size entries, as v4l2-ctl lists them");
    }

    private static string Fps(double fps) => fps.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>"FOURCC WxH @ r1,r2" per format and discrete size, from v4l2-ctl's own listing.</summary>
    private static List<string> ListFormatsExt(string device)
    {
        var info = new ProcessStartInfo("v4l2-ctl", ["-d", device, "--list-formats-ext"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("v4l2-ctl did not start (install v4l-utils)");
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit(30_000);
        Assert.That(process.ExitCode, Is.Zero, process.StandardError.ReadToEnd());

        var entries = new List<string>();
        string? format = null, size = null;
        var rates = new List<double>();
        void Flush()
        {
            if (format is not null && size is not null) entries.Add($"{format} {size} @ {string.Join(",", rates.Distinct().Order().Select(Fps))}");
            size = null;
            rates.Clear();
        }
        foreach (var line in text.Split('\n'))
        {
            if (FormatLine().Match(line) is { Success: true } f)
            {
                Flush();
                // fcc2s pads a three-letter code ("Y10 -BE"); the service trims the padding.
                format = f.Groups[1].Value.Replace(" -BE", "-BE", StringComparison.Ordinal).Trim();
            }
            else if (SizeLine().Match(line) is { Success: true } s)
            {
                Flush();
                size = s.Groups[1].Value;
            }
            else if (RateLine().Match(line) is { Success: true } r)
            {
                rates.Add(double.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
        Flush();
        Assert.That(entries, Is.Not.Empty, "v4l2-ctl listed discrete sizes:\n" + text);
        return entries;
    }

    [GeneratedRegex(@"^\s*\[\d+\]: '([^']+)'")]
    private static partial Regex FormatLine();

    [GeneratedRegex(@"^\s*Size: Discrete (\d+x\d+)")]
    private static partial Regex SizeLine();

    [GeneratedRegex(@"^\s*Interval: Discrete [\d.]+s \(([\d.]+) fps\)")]
    private static partial Regex RateLine();
}
