using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Appliance.Processes;
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
/// file, started by the service's <see cref="ProcessRunner"/> (own process group, recorded for crash
/// recovery, killed at once on timeout: it writes nothing worth finishing). At most
/// <see cref="MaxParallel"/> run at once, in ffprobe's own <see cref="ProcessSlots"/>: a listing
/// of many files cannot flood a 2-core board, probes never take the FFmpeg slots snapshots wait
/// for (a listing must not make a snapshot "busy"), and a queued probe waits only for other probes.
/// Two rather than one: a probe mostly waits on the SD card, so a second overlaps its I/O; more
/// would only compete with recordings for the two cores.
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
    private readonly ProcessRunner _processes;
    private readonly ProcessSlots _slots = new(() => MaxParallel);
    private readonly ConcurrentDictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);

    private sealed record CacheEntry(long Size, DateTimeOffset Modified, MediaInfo Info);

    /// <param name="ffprobePath">Read at each probe, so a changed ffmpeg.ffprobe_path applies.</param>
    public MediaProbe(Func<string> ffprobePath, ProcessRunner processes, ILogger log, TimeSpan? timeout = null)
    {
        _ffprobePath = ffprobePath;
        _processes = processes;
        _log = log;
        _timeout = timeout ?? TimeSpan.FromSeconds(10);
    }

    public async Task<MediaInfo> ProbeAsync(StoredFile file, CancellationToken cancellation = default)
    {
        if (_cache.TryGetValue(file.FullPath, out var hit) && hit.Size == file.Size && hit.Modified == file.Modified) return hit.Info;

        var info = await RunAsync(file.FullPath, cancellation).ConfigureAwait(false);
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
        var path = _ffprobePath();
        var program = ExecutableResolver.Resolve(path);
        if (program is null)
        {
            _log.LogWarning("ffprobe not found at {Path}: durations and resolutions are reported as null (set ffmpeg.ffprobe_path)", path);
            return null;
        }
        // Queued without a time limit: a listing waits for its probes rather than report "busy".
        await _slots.TryAcquireAsync(Timeout.InfiniteTimeSpan, cancellation).ConfigureAwait(false);
        ChildProcess process;
        try
        {
            process = await _processes.RunAsync(program, arguments, new ChildProcessOptions { CaptureStdout = true, MaxStdoutBytes = MaxOutputBytes },
                _timeout, cancellation, heldSlot: _slots).ConfigureAwait(false);
        }
        catch (ChildProcessTimeoutException)
        {
            _log.LogWarning("ffprobe did not finish within {Timeout} s on {File}; reporting it as unknown", _timeout.TotalSeconds, fullPath);
            return null;
        }
        using (process)
        {
            var code = await process.Exited.ConfigureAwait(false);
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
