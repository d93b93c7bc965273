using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Appliance.Tests.MediaOps;

/// <summary>ffprobe, to check that files are what they claim to be.</summary>
public static class MediaProbe
{
    public sealed record Info(string Codec, int Width, int Height, double? Duration, int Frames);

    /// <summary>What <c>ffprobe -v error -count_frames</c> made of a file: its exit code, the video
    /// frames it decoded and every error line it printed (a torn fragment, a bad NAL unit, ...).</summary>
    public sealed record Decoded(string Path, int ExitCode, int Frames, IReadOnlyList<string> Errors)
    {
        /// <summary>Readable to the end without a single error, and not empty.</summary>
        public bool IsClean => ExitCode == 0 && Errors.Count == 0 && Frames > 0;

        public override string ToString() =>
            $"{System.IO.Path.GetFileName(Path)}: exit {ExitCode}, {Frames} frame(s){(Errors.Count > 0 ? ", errors:\n  " + string.Join("\n  ", Errors) : ", no errors")}";
    }

    public static Info Read(string path, bool countFrames = false) => Read(path, countFrames, TimeSpan.FromSeconds(30));

    public static Info Read(string path, bool countFrames, TimeSpan timeout)
    {
        var (code, stdout, stderr) = Probe(path, countFrames, (int)timeout.TotalMilliseconds);
        Assert.That(code, Is.EqualTo(0), $"ffprobe cannot read {path}: {stderr}");
        using var doc = JsonDocument.Parse(stdout);
        var s = doc.RootElement.GetProperty("streams")[0];
        double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
            ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : null;
        return new Info(s.GetProperty("codec_name").GetString()!, s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(), duration, Frames(doc));
    }

    /// <summary>Decodes every frame of the file (<c>-count_frames</c>) and keeps what ffprobe said at
    /// <c>-v error</c>; never asserts on the content, so a test can say which file failed and how.
    /// A long recording decoded in the emulated VM needs the generous default time limit.</summary>
    public static Decoded Decode(string path) => Decode(path, TimeSpan.FromMinutes(2));

    // Not an optional int: as a method group (files.Select(MediaProbe.Decode)) that would bind to
    // Select's (item, index) overload and take the index for the time limit.
    public static Decoded Decode(string path, TimeSpan timeout)
    {
        var (code, stdout, stderr) = Probe(path, countFrames: true, (int)timeout.TotalMilliseconds);
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var frames = 0;
        if (code == 0)
        {
            using var doc = JsonDocument.Parse(stdout);
            frames = Frames(doc);
        }
        return new Decoded(path, code, frames, errors);
    }

    private static int Frames(JsonDocument doc) =>
        doc.RootElement.TryGetProperty("streams", out var streams) && streams.GetArrayLength() > 0
        && streams[0].TryGetProperty("nb_read_frames", out var n) ? int.Parse(n.GetString()!, CultureInfo.InvariantCulture) : 0;

    private static (int Code, string Stdout, string Stderr) Probe(string path, bool countFrames, int timeoutMs = 30_000)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json" })
            psi.ArgumentList.Add(a);
        if (countFrames) psi.ArgumentList.Add("-count_frames");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(timeoutMs), Is.True, $"ffprobe hung on {path}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
