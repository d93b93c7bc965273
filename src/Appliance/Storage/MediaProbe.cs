using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Appliance.Media.Process;
using Microsoft.Extensions.Logging;

namespace Appliance.Storage;

/// <summary>Duration (seconds), picture size, video codec (ffprobe's name: h264, hevc, ...) and bitrate
/// (bits/s: the video stream's, else the whole file's) of a media file; null where ffprobe could not tell.</summary>
public sealed record MediaInfo(double? Duration, int? Width, int? Height, string? Codec = null, long? Bitrate = null)
{
    public static readonly MediaInfo Unknown = new(null, null, null);

    /// <summary>"WxH", or null.</summary>
    public string? Resolution => Width is { } w && Height is { } h ? $"{w}x{h}" : null;
}

/// <summary>
/// Reads duration, resolution, codec and bitrate with ffprobe (<c>ffmpeg.ffprobe_path</c>), one child process per
/// file, at most <see cref="MaxParallel"/> at once so a listing cannot flood a 2-core board.
/// Answers are cached by (path, size, mtime): a finished file is probed once, however often it is
/// listed, and a file that grows or is replaced is probed again. A file ffprobe cannot read (a
/// truncated recording, a non-media file with a media extension) is cached as unknown, so its
/// duration is null in every listing without re-running ffprobe. A timeout or a missing ffprobe
/// is not cached: the next call tries again.
/// </summary>
public sealed class MediaProbe
{
    public const int MaxParallel = 2;
    private const int MaxCacheEntries = 8192;
    private const int MaxOutputBytes = 256 * 1024;

    private readonly Func<string> _ffprobePath;
    private readonly ILogger _log;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _slots = new(MaxParallel, MaxParallel);
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);
    private long _runs;

    private sealed record CacheEntry(long Size, DateTimeOffset Modified, MediaInfo Info);

    /// <param name="ffprobePath">Read at each probe, so a changed ffmpeg.ffprobe_path applies.</param>
    public MediaProbe(Func<string> ffprobePath, ILogger log, TimeSpan? timeout = null)
    {
        _ffprobePath = ffprobePath;
        _log = log;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    /// <summary>ffprobe processes started so far (the tests check the cache with it).</summary>
    public long ProbesRun => Interlocked.Read(ref _runs);

    public async Task<MediaInfo> ProbeAsync(StoredFile file, CancellationToken cancellation = default)
    {
        if (_cache.TryGetValue(file.FullPath, out var hit) && hit.Size == file.Size && hit.Modified == file.Modified) return hit.Info;

        await _slots.WaitAsync(cancellation).ConfigureAwait(false);
        MediaInfo? info;
        try
        {
            info = await RunAsync(file.FullPath, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
        if (info is null) return MediaInfo.Unknown;
        if (_cache.Count >= MaxCacheEntries) _cache.Clear(); // crude, but bounded; refilled on demand
        _cache[file.FullPath] = new CacheEntry(file.Size, file.Modified, info);
        return info;
    }

    /// <summary>Drops the cached answer for a deleted file.</summary>
    public void Forget(string fullPath) => _cache.TryRemove(fullPath, out _);

    /// <summary>The probe's answer, or null when it should not be cached (timeout, no ffprobe).</summary>
    private async Task<MediaInfo?> RunAsync(string fullPath, CancellationToken cancellation)
    {
        // "file:" so that a name containing ':' is never taken for a protocol; the path is absolute.
        string[] arguments = ["-v", "error", "-print_format", "json", "-show_entries", "format=duration,bit_rate:stream=codec_type,codec_name,width,height,bit_rate", "file:" + fullPath];
        FfmpegProcess process;
        try
        {
            process = FfmpegProcess.Start(_ffprobePath(), arguments, new FfmpegProcessOptions { Stdout = StdoutMode.Capture, MaxStdoutBytes = MaxOutputBytes });
        }
        catch (FfmpegNotFoundException)
        {
            _log.LogWarning("ffprobe not found at {Path}: durations and resolutions are reported as null (set ffmpeg.ffprobe_path)", _ffprobePath());
            return null;
        }
        Interlocked.Increment(ref _runs);
        using (process)
        {
            int code;
            try
            {
                code = await process.Exited.WaitAsync(_timeout, cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _log.LogWarning("ffprobe did not finish within {Timeout} s on {File}; reporting it as unknown", _timeout.TotalSeconds, fullPath);
                return null; // Dispose kills it
            }
            if (code != 0)
            {
                _log.LogDebug("ffprobe could not read {File} (exit {Code}): {Stderr}", fullPath, code, process.StderrTail);
                return MediaInfo.Unknown;
            }
            using var stdout = process.TakeStdout();
            return Parse(stdout.Memory);
        }
    }

    /// <summary>ffprobe's JSON: format.duration ("2.000000" or absent), and the first video stream's
    /// width/height, codec_name and bit_rate (else format.bit_rate: Matroska keeps no per-stream rate).</summary>
    internal static MediaInfo Parse(ReadOnlyMemory<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            double? duration = null;
            if (root.TryGetProperty("format", out var format) && format.TryGetProperty("duration", out var d)
                && d.ValueKind == JsonValueKind.String
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && double.IsFinite(seconds) && seconds >= 0)
                duration = Math.Round(seconds, 3);
            int? width = null, height = null;
            string? codec = null;
            long? bitrate = null;
            if (root.TryGetProperty("streams", out var streams) && streams.ValueKind == JsonValueKind.Array)
            {
                foreach (var s in streams.EnumerateArray())
                {
                    if (!s.TryGetProperty("codec_type", out var type) || type.GetString() != "video") continue;
                    if (s.TryGetProperty("codec_name", out var c) && c.ValueKind == JsonValueKind.String) codec = c.GetString();
                    bitrate = Bitrate(s);
                    if (s.TryGetProperty("width", out var w) && w.TryGetInt32(out var wi) && wi > 0
                        && s.TryGetProperty("height", out var h) && h.TryGetInt32(out var hi) && hi > 0)
                        (width, height) = (wi, hi);
                    break;
                }
            }
            if (bitrate is null && format.ValueKind == JsonValueKind.Object) bitrate = Bitrate(format);
            return new MediaInfo(duration, width, height, codec, bitrate);
        }
        catch (JsonException)
        {
            return MediaInfo.Unknown;
        }
    }

    // ffprobe writes bit_rate as a string of digits ("1234567"), absent when it cannot tell.
    private static long? Bitrate(JsonElement e) =>
        e.TryGetProperty("bit_rate", out var b) && b.ValueKind == JsonValueKind.String
        && long.TryParse(b.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var bps) && bps > 0 ? bps : null;
}
