using System.Diagnostics;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Media.Ffmpeg;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Snapshots;

/// <summary>What a caller asks of a still image; null = the <c>[snapshots]</c> default.</summary>
/// <param name="Format">"jpg" or "png".</param>
/// <param name="Quality">1..100, JPEG only (ignored for PNG).</param>
/// <param name="Width">Bound on the width (the image shrinks to fit, keeping its aspect ratio; never enlarged).</param>
/// <param name="Height">Bound on the height, likewise.</param>
public sealed record StillRequest(string Format, int? Quality = null, int? Width = null, int? Height = null);

/// <summary>A still image could not be had; <see cref="Exception.Message"/> says why in plain words.</summary>
/// <param name="Busy">True when trying again shortly may succeed (FFmpeg slots or the capture table are full).</param>
public sealed class StillCaptureException(string message, bool busy = false) : Exception(message)
{
    public bool Busy { get; } = busy;
}

/// <summary>
/// Still images in memory, for clients that want a picture and no file (a live-view fallback, a
/// home-automation camera card). FFmpeg writes the image to stdout into a pooled buffer (at most
/// <see cref="MaxImageBytes"/>), through the service's <see cref="FfmpegRunner"/> (its concurrency
/// cap, timeouts and child registry), from the source <see cref="SnapshotSource"/> chooses, exactly
/// as take_snapshot does. Nothing is written to disk and no snapshot event is published.
///
/// Requests for the same camera, format, size and quality share one capture: a request arriving
/// while one runs waits for it, and one arriving within <see cref="ShareWindow"/> after it finished
/// gets the same picture. The table is bounded: at most <see cref="MaxVariants"/> entries (cameras
/// × variants, running or fresh; one more is refused as busy) and at most <see cref="MaxRetainedBytes"/>
/// of finished images (the oldest are dropped first), so a client asking for ever new sizes cannot
/// make it grow.
/// </summary>
public sealed class StillCapture : IDisposable
{
    /// <summary>Largest image FFmpeg may hand over; beyond it the capture fails (a 3840-wide PNG of noise stays below).</summary>
    public const int MaxImageBytes = 16 * 1024 * 1024;

    /// <summary>Entries in the sharing table (running captures and finished images still fresh).</summary>
    public const int MaxVariants = 32;

    /// <summary>Finished images kept for sharing, in bytes, all entries together.</summary>
    public const long MaxRetainedBytes = 32L * 1024 * 1024;

    /// <summary>How long a finished image is handed to new requests for the same picture.</summary>
    public static readonly TimeSpan ShareWindow = TimeSpan.FromSeconds(1);

    private sealed record Key(string Device, SnapshotSettings Settings);

    private sealed class Entry(Task<StillImage> capture)
    {
        public Task<StillImage> Capture { get; } = capture;
        public StillImage? Image { get; set; }
        public long FinishedAt { get; set; }
    }

    private readonly ConfigStore _config;
    private readonly SnapshotSource _source;
    private readonly FfmpegRunner _ffmpeg;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, Entry> _entries = [];
    private readonly CancellationTokenSource _stopping = new();
    private long _retainedBytes;
    private long _captures;
    private long _sharedRequests;

    public StillCapture(ConfigStore config, SnapshotSource source, FfmpegRunner ffmpeg, ILogger<StillCapture> log)
    {
        _config = config;
        _source = source;
        _ffmpeg = ffmpeg;
        _log = log;
    }

    /// <summary>FFmpeg runs started for still images since start.</summary>
    public long Captures => Interlocked.Read(ref _captures);

    /// <summary>Requests served by a capture another request started.</summary>
    public long SharedRequests => Interlocked.Read(ref _sharedRequests);

    /// <summary>
    /// A still image of <paramref name="camera"/> (which the caller found connected). The caller
    /// disposes the lease once the bytes are sent. Throws <see cref="StillCaptureException"/> when
    /// no image can be had; cancelling stops the wait, not a capture others may share.
    /// </summary>
    public async Task<StillImageLease> CaptureAsync(Camera camera, StillRequest request, CancellationToken ct)
    {
        var key = new Key(camera.Device, Settings(request));
        // A finished image can be released between its capture ending and this request taking its
        // reference (dropped for room, or expired): then ask again, which starts a fresh capture.
        for (var attempt = 0; ; attempt++)
        {
            Task<StillImage> capture;
            var started = false;
            lock (_gate)
            {
                Sweep();
                if (_entries.TryGetValue(key, out var entry))
                {
                    if (entry.Image is { } fresh && fresh.TryRetain())
                    {
                        Interlocked.Increment(ref _sharedRequests);
                        return new StillImageLease(fresh, shared: true);
                    }
                    capture = entry.Capture;
                }
                else
                {
                    if (_entries.Count >= MaxVariants)
                        throw new StillCaptureException($"{MaxVariants} different still images are being captured or shared right now; try again in a second", busy: true);
                    var done = new TaskCompletionSource<StillImage>(TaskCreationOptions.RunContinuationsAsynchronously);
                    entry = new Entry(done.Task);
                    _entries[key] = entry;
                    capture = done.Task;
                    started = true;
                    _ = RunAsync(key, entry, camera, done);
                }
            }

            var image = await capture.WaitAsync(ct).ConfigureAwait(false);
            if (image.TryRetain())
            {
                if (!started) Interlocked.Increment(ref _sharedRequests);
                return new StillImageLease(image, shared: !started);
            }
            if (attempt >= 2) throw new StillCaptureException("the still image was dropped before it could be sent (too many different images at once); try again", busy: true);
        }
    }

    private SnapshotSettings Settings(StillRequest r)
    {
        var s = _config.Current.Snapshots;
        // PNG has no quality: one key for every quality asked.
        var quality = r.Format == "png" ? 0 : r.Quality ?? s.Quality;
        return new SnapshotSettings(r.Format, quality, r.Width ?? s.MaxWidth, r.Height ?? s.MaxHeight);
    }

    // Runs once per entry, on no request's cancellation: other requests may be waiting for it.
    private async Task RunAsync(Key key, Entry entry, Camera camera, TaskCompletionSource<StillImage> done)
    {
        try
        {
            var image = await CaptureOnceAsync(camera, key.Settings, _stopping.Token).ConfigureAwait(false);
            lock (_gate)
            {
                entry.Image = image;
                entry.FinishedAt = Stopwatch.GetTimestamp();
                _retainedBytes += image.Length;
                Sweep();
            }
            done.SetResult(image);
            _ = ExpireAfterWindowAsync();
        }
        catch (Exception ex)
        {
            // A failure is not kept: the next request tries again.
            lock (_gate)
            {
                if (_entries.TryGetValue(key, out var current) && current == entry) _entries.Remove(key);
            }
            done.SetException(ex switch
            {
                StillCaptureException => ex,
                OperationCanceledException => new StillCaptureException("the service is stopping"),
                _ => new StillCaptureException($"capture of {camera.Device} failed: {ex.Message}"),
            });
        }
    }

    private async Task<StillImage> CaptureOnceAsync(Camera camera, SnapshotSettings settings, CancellationToken ct)
    {
        var (arguments, input) = await _source.ChooseAsync(camera, settings, ct).ConfigureAwait(false);
        var job = FfmpegJob.Snapshot(_config.Current.Ffmpeg) with { MaxStdoutBytes = MaxImageBytes };
        Interlocked.Increment(ref _captures);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await _ffmpeg.RunAsync(arguments, job, ct).ConfigureAwait(false);
            var stdout = result.Stdout;
            if (stdout.Length == 0)
            {
                result.Dispose();
                throw new StillCaptureException($"FFmpeg produced no image of {camera.Device} (from the {input})");
            }
            _log.LogDebug("Still image of {Device} from the {Input}: {Bytes} bytes {Format} in {Ms:F0} ms", camera.Device, input, stdout.Length,
                settings.Format, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            // The image owns the pooled buffer from here; the result's other parts are plain strings.
            return new StillImage(stdout, settings.Format, input, DateTimeOffset.UtcNow);
        }
        catch (FfmpegOutputTooLargeException)
        {
            throw new StillCaptureException($"the image of {camera.Device} is larger than {MaxImageBytes / (1024 * 1024)} MiB, the still-image limit: ask for a smaller width/height, or jpg");
        }
        catch (FfmpegException ex)
        {
            _log.LogWarning("Still image of {Device} failed: {Error}", camera.Device, ex.Message);
            throw new StillCaptureException($"cannot capture {camera.Device} (from the {input}): {ex.Message}", busy: ex is FfmpegBusyException);
        }
    }

    private async Task ExpireAfterWindowAsync()
    {
        try
        {
            await Task.Delay(ShareWindow + TimeSpan.FromMilliseconds(50), _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_gate) Sweep();
    }

    // Under _gate: drops finished images past the share window, then the oldest finished ones while
    // the retained bytes are over the bound. Running captures are never dropped.
    private void Sweep()
    {
        var now = Stopwatch.GetTimestamp();
        List<(Key Key, Entry Entry)>? finished = null;
        foreach (var (key, entry) in _entries)
            if (entry.Image is not null) (finished ??= []).Add((key, entry));
        if (finished is null) return;
        finished.Sort((a, b) => a.Entry.FinishedAt.CompareTo(b.Entry.FinishedAt));
        foreach (var (key, entry) in finished)
        {
            var stale = Stopwatch.GetElapsedTime(entry.FinishedAt, now) >= ShareWindow;
            if (!stale && _retainedBytes <= MaxRetainedBytes) continue;
            _entries.Remove(key);
            _retainedBytes -= entry.Image!.Length;
            entry.Image.Release();
            entry.Image = null;
        }
    }

    /// <summary>Stops running captures and gives the kept images back to the pool.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        lock (_gate)
        {
            foreach (var entry in _entries.Values)
            {
                entry.Image?.Release();
                entry.Image = null;
            }
            _entries.Clear();
            _retainedBytes = 0;
        }
    }
}
