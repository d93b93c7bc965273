using System.Diagnostics;
using System.Globalization;
using Appliance.Media.Recordings;

namespace Appliance.Tests.Media.Repair;

/// <summary>
/// Real recordings made by the real ffmpeg with exactly the muxer options a recording uses (taken
/// from <see cref="RecordingArguments.Build"/>: the segment muxer, fragmented MP4 or Matroska),
/// fed from lavfi's test pattern encoded with libx264 instead of a camera's stream. Made once per
/// test run and copied by the tests.
/// </summary>
public static class RecordingSamples
{
    private static readonly Lazy<string> Dir = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "appliance-tests", "repair-samples-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Dictionary<string, Lazy<string>> Made = new()
    {
        // 4 s at 15 fps with a keyframe every 15 frames: four 1 s fragments (clusters), ~30 KB each.
        ["mp4"] = new(() => Make("mp4", 4), LazyThreadSafetyMode.ExecutionAndPublication),
        ["mkv"] = new(() => Make("mkv", 4), LazyThreadSafetyMode.ExecutionAndPublication),
        ["mp4-long"] = new(() => Make("mp4", 8), LazyThreadSafetyMode.ExecutionAndPublication),
        ["mkv-long"] = new(() => Make("mkv", 8), LazyThreadSafetyMode.ExecutionAndPublication),
        ["ts"] = new(() => Make("ts", 4), LazyThreadSafetyMode.ExecutionAndPublication),
    };

    /// <summary>A clean 4 s recording ("mp4", "mkv" or "ts"), or an 8 s one ("mp4-long", "mkv-long").</summary>
    public static string Clean(string name) => Made[name].Value;

    /// <summary>The muxer part of a real recording's arguments: from "-f segment" to the output pattern.</summary>
    /// <param name="buffered">Without the recording's flush_packets: FFmpeg's 256 KiB blocks ignore fragment boundaries,
    /// so a kill tears the last fragment, as a power cut that loses part of the page cache can.</param>
    public static List<string> MuxerArguments(string format, string directory, bool buffered = false)
    {
        var recording = RecordingArguments.Build("rtsp://127.0.0.1:1/unused", directory, "cam_", format, null, 600);
        var muxer = recording.IndexOf("-f");
        Assert.That(muxer, Is.GreaterThan(0), "RecordingArguments has no -f");
        var args = recording[muxer..];
        if (buffered)
        {
            var options = args.IndexOf("-segment_format_options") + 1;
            Assert.That(args[options], Does.Contain("flush_packets=1"), "the recording flushes at fragment boundaries");
            args[options] = args[options].Replace(":flush_packets=1", "").Replace("flush_packets=1", "flush_packets=0");
        }
        return args;
    }

    /// <summary>ffmpeg's arguments for a recording of lavfi's test pattern, ending with the recording's own muxer arguments.</summary>
    public static List<string> RecordArguments(string format, string directory, double seconds, bool realTime = false, string size = "320x240", int rate = 15, int gop = 15,
        bool buffered = false)
    {
        var args = new List<string> { "-hide_banner", "-loglevel", "error", "-nostdin" };
        if (realTime) args.Add("-re");
        args.AddRange(["-f", "lavfi", "-i", $"testsrc2=size={size}:rate={rate}", "-c:v", "libx264", "-g", gop.ToString(CultureInfo.InvariantCulture)]);
        if (realTime) args.AddRange(["-preset", "ultrafast"]);
        args.AddRange(["-t", seconds.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(MuxerArguments(format, directory, buffered));
        return args;
    }

    private static string Make(string format, double seconds)
    {
        var dir = Path.Combine(Dir.Value, $"{format}-{seconds}");
        Directory.CreateDirectory(dir);
        Run("ffmpeg", RecordArguments(format, dir, seconds));
        var made = Directory.GetFiles(dir, "*." + format);
        Assert.That(made, Has.Length.EqualTo(1), "one segment expected");
        return made[0];
    }

    /// <summary>Runs a program to completion; returns (exit code, stdout, stderr).</summary>
    public static (int Exit, string Stdout, string Stderr) Run(string program, IEnumerable<string> arguments, bool check = true)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"{program} {string.Join(' ', psi.ArgumentList)} did not finish"); }
        p.WaitForExit();
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
