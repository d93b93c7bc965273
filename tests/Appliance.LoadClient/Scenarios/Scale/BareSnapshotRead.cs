using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// A snapshot without the service: FFmpeg run by this client with the arguments the service uses for
/// a snapshot from the live stream, on the same RTSP path, JPEG to stdout. The comparison the issue
/// asks for ("never slower than a bare FFmpeg read of the same stream").
/// </summary>
public static partial class BareSnapshotRead
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>A copy of <c>SnapshotArguments.FromStream</c> (src/Appliance/Media/Snapshots) with the
    /// service's default [snapshots] settings (jpg, quality 90 -> -q:v 5, no size bound). Used until the
    /// service's own command line has been read from /proc (<see cref="ProcessSampler.ServiceSnapshotArguments"/>).</summary>
    public static List<string> CopiedArguments(string rtspUrl) =>
    [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
        "-rtsp_transport", "tcp", "-flags", "low_delay",
        "-probesize", "2000000", "-analyzeduration", "3000000", "-fpsprobesize", "0",
        "-i", rtspUrl,
        "-an", "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "5", "-f", "image2pipe", "-",
    ];

    /// <summary>The service's own argument list pointed at another camera's path (same URL, credentials included).</summary>
    public static List<string> ForPath(IReadOnlyList<string> template, string path) =>
        [.. template.Select(a => a.StartsWith("rtsp://", StringComparison.Ordinal) ? LastSegment().Replace(a, "/" + path) : a)];

    /// <summary>The template's arguments without the program and with the URL's credentials hidden, to compare and print.</summary>
    public static string Describe(IReadOnlyList<string> args) =>
        string.Join(' ', args.Skip(1).Select(a => a.StartsWith("rtsp://", StringComparison.Ordinal) ? Credentials().Replace(LastSegment().Replace(a, "/PATH"), "rtsp://USER:PASS@") : a));

    /// <summary>Runs FFmpeg once; Ok when it exits 0 with a whole JPEG (SOI ... EOI) on stdout.</summary>
    public static async Task<(bool Ok, double Ms, int Bytes, string? Error)> RunAsync(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Skip(1)) info.ArgumentList.Add(a);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffmpeg");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(Timeout);
        try
        {
            using var image = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(image, bound.Token);
            var stderr = process.StandardError.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            await copy;
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var length = (int)image.Length;
            var whole = IsWholeJpeg(image.GetBuffer().AsSpan(0, length));
            var err = (await stderr).Trim();
            if (process.ExitCode != 0 || !whole)
                return (false, ms, length, $"exit {process.ExitCode}, {length} bytes{(whole ? "" : " (not a whole JPEG)")}: {err[..Math.Min(err.Length, 200)]}");
            return (true, ms, length, null);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (false, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, $"no image within {Timeout.TotalSeconds:0} s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private static bool IsWholeJpeg(ReadOnlySpan<byte> b) => b.Length > 4 && b[0] == 0xFF && b[1] == 0xD8 && b[^2] == 0xFF && b[^1] == 0xD9;

    [GeneratedRegex(@"/[^/?]+$")]
    private static partial Regex LastSegment();

    [GeneratedRegex(@"^rtsp://([^@/]*@)?")]
    private static partial Regex Credentials();
}
