using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>One recording as ffprobe decodes it (every frame: -count_frames), with whatever it said at -v error.</summary>
public sealed record ProbedRecording(string File, long Bytes, string? Codec, int Width, int Height, double? Duration, int Frames, string? Error);

/// <summary>The files of the run, checked with ffprobe: recordings play to the end, snapshots decode.</summary>
public static class MediaFileChecks
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(120);

    public static async Task<ProbedRecording> ProbeRecordingAsync(string file, CancellationToken cancellation)
    {
        var bytes = new FileInfo(file).Length;
        var name = Path.GetFileName(file);
        var (exit, stdout, stderr) = await RunAsync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", file], cancellation);
        if (exit != 0) return new ProbedRecording(name, bytes, null, 0, 0, null, 0, $"ffprobe exit {exit}: {Short(stderr)}");
        using var doc = JsonDocument.Parse(stdout);
        if (doc.RootElement.GetProperty("streams").GetArrayLength() == 0) return new ProbedRecording(name, bytes, null, 0, 0, null, 0, "no video stream");
        var s = doc.RootElement.GetProperty("streams")[0];
        double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
            && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dv) ? dv : null;
        var frames = s.TryGetProperty("nb_read_frames", out var n) && int.TryParse(n.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var nv) ? nv : 0;
        return new ProbedRecording(name, bytes, s.GetProperty("codec_name").GetString(), s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(),
            duration, frames, stderr.Length > 0 ? "ffprobe -v error said: " + Short(stderr) : null);
    }

    /// <summary>
    /// Decodes every JPEG of <paramref name="directory"/> in one ffprobe (image2 demuxer, glob): the
    /// frame count must equal the file count and -v error must stay silent. Only when not, each file is
    /// decoded on its own to name the bad ones (at most <paramref name="maxNamed"/>).
    /// </summary>
    public static async Task<(int Files, int Decoded, List<string> Bad)> DecodeSnapshotsAsync(string directory, CancellationToken cancellation, int maxNamed = 20)
    {
        var files = Directory.GetFiles(directory, "*.jpg").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) return (0, 0, []);
        var (exit, stdout, stderr) = await RunAsync("ffprobe", ["-v", "error", "-f", "image2", "-pattern_type", "glob", "-count_frames", "-select_streams", "v:0",
            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", Path.Combine(directory, "*.jpg")], cancellation);
        var decoded = exit == 0 && int.TryParse(stdout.Trim().TrimEnd(','), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : 0;
        if (exit == 0 && decoded == files.Count && stderr.Length == 0) return (files.Count, decoded, []);

        var bad = new List<string>();
        foreach (var file in files)
        {
            var one = await RunAsync("ffmpeg", ["-v", "error", "-nostdin", "-i", file, "-f", "null", "-"], cancellation);
            if (one.Exit != 0 || one.Stderr.Length > 0) bad.Add($"{Path.GetFileName(file)}: {(one.Stderr.Length > 0 ? Short(one.Stderr) : $"exit {one.Exit}")}");
            if (bad.Count >= maxNamed) break;
        }
        if (bad.Count == 0) bad.Add($"the batch decode said (exit {exit}, {decoded} of {files.Count} frames): {Short(stderr)}; every file decodes on its own");
        return (files.Count, decoded, bad);
    }

    private static string Short(string s) => s.Length <= 300 ? s.ReplaceLineEndings(" ") : s[..300].ReplaceLineEndings(" ") + "...";

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string program, string[] args, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(ProbeTimeout);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
            var stderr = process.StandardError.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            return (process.ExitCode, await stdout, (await stderr).Trim());
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (-1, "", $"{program} took longer than {ProbeTimeout.TotalSeconds:0} s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
