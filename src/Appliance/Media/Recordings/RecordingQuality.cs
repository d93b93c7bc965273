using System.Globalization;

namespace Appliance.Media.Recordings;

public enum QualityKind
{
    /// <summary>low, medium or high: the encoder's own scale (a CRF in software, a bitrate for the picture size in hardware).</summary>
    Level,
    /// <summary>An explicit bitrate ("2M", "800k").</summary>
    Bitrate,
    /// <summary>An explicit constant rate factor ("crf:23"); software encoders only.</summary>
    Crf,
}

/// <summary>The quality a transcoding recording was asked for, parsed from the client's text.</summary>
/// <param name="Level">0 low, 1 medium, 2 high (<see cref="QualityKind.Level"/>).</param>
public sealed record RecordingQuality(QualityKind Kind, string Text, int Level = 1, long BitsPerSecond = 0, int Crf = 0)
{
    public const string DefaultText = "medium";
    public const long MinBitrate = 100_000;
    public const long MaxBitrate = 50_000_000;
    public const int MaxCrf = 51;

    public const string Expected = "low, medium, high, a bitrate from 100k to 50M (\"800k\", \"2M\") or \"crf:<0..51>\"";

    private static readonly string[] Levels = ["low", "medium", "high"];

    /// <summary>Parses what a client sent; <paramref name="problem"/> says what is wrong, naming 'quality'.</summary>
    public static bool TryParse(string text, out RecordingQuality? quality, out string? problem)
    {
        quality = null;
        problem = null;
        var level = Array.IndexOf(Levels, text);
        if (level >= 0)
        {
            quality = new RecordingQuality(QualityKind.Level, text, Level: level);
            return true;
        }
        if (text.StartsWith("crf:", StringComparison.Ordinal))
        {
            if (!int.TryParse(text.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var crf))
                return Fail($"'quality' {Quote(text)} must be \"crf:\" followed by a whole number from 0 to {MaxCrf}", out problem);
            if (crf > MaxCrf) return Fail($"'quality' {Quote(text)}: the CRF must be from 0 to {MaxCrf}", out problem);
            quality = new RecordingQuality(QualityKind.Crf, text, Crf: crf);
            return true;
        }
        if (text.Length >= 2 && (text[^1] is 'k' or 'M')
            && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= MaxBitrate)
        {
            var bps = n * (text[^1] == 'k' ? 1_000 : 1_000_000);
            if (bps is < MinBitrate or > MaxBitrate)
                return Fail($"'quality' {Quote(text)}: the bitrate must be from 100k to 50M", out problem);
            quality = new RecordingQuality(QualityKind.Bitrate, text, BitsPerSecond: bps);
            return true;
        }
        return Fail($"'quality' must be {Expected}, not {Quote(text)}", out problem);
    }

    private static bool Fail(string message, out string? problem)
    {
        problem = message;
        return false;
    }

    // The client's text, bounded (the param itself is at most 64 characters).
    private static string Quote(string text) => "\"" + (text.Length > 32 ? text[..32] + "…" : text) + "\"";
}
