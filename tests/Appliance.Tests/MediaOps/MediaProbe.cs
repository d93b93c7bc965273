using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Appliance.Tests.MediaOps;

/// <summary>ffprobe, to check that files are what they claim to be.</summary>
public static class MediaProbe
{
    public sealed record Info(string Codec, int Width, int Height, double? Duration, int Frames);

    public static Info Read(string path, bool countFrames = false)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json" })
            psi.ArgumentList.Add(a);
        if (countFrames) psi.ArgumentList.Add("-count_frames");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(30_000), Is.True);
        Assert.That(p.ExitCode, Is.EqualTo(0), $"ffprobe cannot read {path}: {stderr.Result}");
        using var doc = JsonDocument.Parse(stdout.Result);
        var s = doc.RootElement.GetProperty("streams")[0];
        double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
            ? double.Parse(d.GetString()!, CultureInfo.InvariantCulture) : null;
        var frames = s.TryGetProperty("nb_read_frames", out var n) ? int.Parse(n.GetString()!, CultureInfo.InvariantCulture) : 0;
        return new Info(s.GetProperty("codec_name").GetString()!, s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(), duration, frames);
    }

    /// <summary>Decodes every frame of the file's video (ffprobe -v error -count_frames): the frames
    /// decoded and whatever ffprobe reported as an error (empty for a clean file).</summary>
    public static (int Frames, string Errors) Decode(string path, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(timeoutMs), Is.True, $"ffprobe decodes {path} in time");
        Assert.That(p.ExitCode, Is.EqualTo(0), $"ffprobe cannot read {path}: {stderr.Result}");
        var frames = int.TryParse(stdout.Result.Trim().TrimEnd(','), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        return (frames, stderr.Result.Trim());
    }
}
