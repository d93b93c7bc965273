using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

namespace Appliance.Tests.Media.Repair;

/// <summary>What ffprobe makes of a file when it decodes every frame.</summary>
/// <param name="Frames">nb_read_frames, or null when there is no stream or no count (N/A).</param>
/// <param name="Errors">Every line ffprobe printed at -v error.</param>
public sealed record ProbeReport(int? Frames, IReadOnlyList<string> Errors)
{
    public override string ToString() => $"frames={Frames?.ToString(CultureInfo.InvariantCulture) ?? "none"}" + (Errors.Count == 0 ? "" : ", errors: " + string.Join(" | ", Errors));
}

/// <summary>One demuxed packet: where it is in the file and whether it is a keyframe.</summary>
public sealed record Packet(long Position, int Size, bool Key);

/// <summary>The real ffprobe. Reports are cached by the file's content (SHA-256): the same bytes decode the same way.</summary>
public static class Ffprobe
{
    private static readonly ConcurrentDictionary<string, ProbeReport> Cache = new(StringComparer.Ordinal);

    /// <summary><c>ffprobe -v error -count_frames -show_entries stream=nb_read_frames</c>: the check the task names.</summary>
    public static ProbeReport CountFrames(string path)
    {
        var key = Hash(path);
        return Cache.GetOrAdd(key, _ =>
        {
            var (_, stdout, stderr) = RecordingSamples.Run("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path], check: false);
            var count = stdout.Trim();
            int? frames = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            return new ProbeReport(frames, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        });
    }

    /// <summary>
    /// <see cref="CountFrames"/> of each content (keyed by its hash), written to files in
    /// <paramref name="directory"/> and decoded two at a time (ffprobe's time is mostly its start-up).
    /// </summary>
    public static Dictionary<string, ProbeReport> CountFramesOfEach(IReadOnlyDictionary<string, byte[]> contents, string directory, string extension)
    {
        var reports = new ConcurrentDictionary<string, ProbeReport>(StringComparer.Ordinal);
        Parallel.ForEach(contents, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var file = Path.Combine(directory, "probe-" + c.Key[..16] + extension);
            File.WriteAllBytes(file, c.Value);
            reports[c.Key] = CountFrames(file);
            File.Delete(file);
        });
        return new Dictionary<string, ProbeReport>(reports, StringComparer.Ordinal);
    }

    /// <summary>Every packet of the first video stream, in file order.</summary>
    public static List<Packet> Packets(string path)
    {
        // A torn file makes ffprobe complain (and maybe exit non-zero): the packets it did list are still right.
        var (_, stdout, _) = RecordingSamples.Run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size,flags", "-of", "compact=p=0", path], check: false);
        var packets = new List<Packet>();
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('|').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            packets.Add(new Packet(long.Parse(fields["pos"], CultureInfo.InvariantCulture), int.Parse(fields["size"], CultureInfo.InvariantCulture), fields["flags"].StartsWith('K')));
        }
        return packets.OrderBy(p => p.Position).ToList();
    }

    public static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
