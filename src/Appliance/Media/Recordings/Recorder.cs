using System.Collections.Concurrent;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Media.Process;
using Appliance.MediaMtx;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace Appliance.Media.Recordings;

/// <summary>A recording started, stopped or failed (published on the event hub).</summary>
/// <param name="Status">STARTED, STOPPED or FAILED.</param>
/// <param name="Error">Why it failed, or why it was stopped when nobody asked (storage full).</param>
public sealed record RecordingEvent(RecordingSession Session, string Status, string? Error) : ApplianceEvent
{
    public override string? Device => Session.Camera.Device;
}

/// <summary>A running recording, every <c>recording.progress_interval</c> seconds.</summary>
/// <param name="Duration">Media time written so far (FFmpeg's own count), else the wall-clock time since start.</param>
/// <param name="FileSize">Bytes on disk in all of the session's segment files (stat of the files themselves).</param>
/// <param name="Segment">The segment file being written.</param>
public sealed record RecordingProgress(RecordingSession Session, TimeSpan Duration, long FileSize, string Segment, int SegmentCount) : ApplianceEvent
{
    public override string? Device => Session.Camera.Device;
}

/// <summary>Why a recording cannot start; the API maps <see cref="Code"/> to its error.</summary>
public sealed class RecordingRefusedException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>
/// Runs the recordings: at most one per camera, each an FFmpeg process copying the camera's
/// MediaMTX stream into rotating segment files. A recording ends when asked, when its duration is
/// reached (FFmpeg's -t), or when its stream dies (camera pulled, publisher gone): then it is
/// FAILED, its files are kept, and listeners are told. The API's start/stop_recording and the
/// GPIO button's long press both come here.
/// </summary>
public sealed class Recorder : Storage.IActiveFiles
{
    private readonly ConcurrentDictionary<string, RecordingSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConfigStore config;
    private readonly MediaMtxClient mediaMtx;
    private readonly FfmpegRunner ffmpeg;
    private readonly EventHub events;
    private readonly ILogger<Recorder> log;

    public Recorder(ConfigStore config, MediaMtxClient mediaMtx, FfmpegRunner ffmpeg, EventHub events, ILogger<Recorder> log)
    {
        this.config = config;
        this.mediaMtx = mediaMtx;
        this.ffmpeg = ffmpeg;
        this.events = events;
        this.log = log;
        // A camera pulled out mid-recording: end the session now (FFmpeg would notice only at its read timeout).
        events.On<CameraChange>(nameof(Recorder), change =>
        {
            if (!change.Current.IsConnected && _sessions.TryGetValue(change.Current.Device, out var session))
                _ = Task.Run(() => AbortAsync(session, $"camera {change.Current.Device} disconnected"));
        });
    }

    private async Task AbortAsync(RecordingSession session, string why)
    {
        session.StopRequested = true;
        if (session.Process is { } p) await p.StopAsync(CancellationToken.None);
        Finish(session, RecordingState.Failed, why);
    }

    /// <summary>Called before a recording starts; throws to refuse (the storage guard plugs in here).</summary>
    public Action? BeforeStart { get; set; }

    /// <summary>Asked every second while recordings run; false stops them cleanly (the disk is
    /// full and nothing old is left to delete). The host plugs the storage guard and retention in here.</summary>
    public Func<CancellationToken, Task<bool>>? KeepRecording { get; set; }

    public RecordingSession? Active(string device) => _sessions.GetValueOrDefault(device);

    public IReadOnlyCollection<RecordingSession> ActiveSessions => [.. _sessions.Values];

    /// <summary>True for every segment of a running recording (retention and delete must leave them
    /// alone: freeing space by eating the recording in progress would defeat it).</summary>
    public bool IsBeingWritten(string fullPath)
    {
        var full = Path.GetFullPath(fullPath);
        return _sessions.Values.Any(s => s.Files.Any(f => string.Equals(Path.GetFullPath(Path.Combine(s.Directory, f)), full, StringComparison.Ordinal)));
    }

    public async Task<RecordingSession> StartAsync(Camera camera, TimeSpan? duration, string? format, CancellationToken ct)
    {
        var c = config.Current;
        if (!camera.IsConnected) throw new RecordingRefusedException(Rpc.RpcErrorCode.CameraNotFound, $"Camera {camera.Device} is {Camera.StatusName(camera.Status)}");
        var session = new RecordingSession(camera, format ?? c.Recording.Format, duration, c.Recording.Path, DateTimeOffset.UtcNow);
        if (!_sessions.TryAdd(camera.Device, session))
            throw new RecordingRefusedException(Rpc.RpcErrorCode.RecordingInProgress, $"Recording already in progress on {camera.Device}");
        try
        {
            BeforeStart?.Invoke();
            if (mediaMtx.Circuit == CircuitState.Open)
                throw new RecordingRefusedException(Rpc.RpcErrorCode.MediaServerUnavailable, "MediaMTX unavailable (circuit open): cannot record now");
            Directory.CreateDirectory(session.Directory);
            session.RememberExisting();
            var args = RecordingArguments.Build(InternalRtspUrl.For(c, camera.StreamPath, mediaMtx.Credentials.InternalRead), session.Directory,
                camera.StreamPath, session.Format, duration, c.Recording.SegmentDuration);
            var job = new FfmpegJob
            {
                CreationTimeout = TimeSpan.FromSeconds(c.Ffmpeg.RecordingProcessCreationTimeout),
                ExecutionTimeout = Timeout.InfiniteTimeSpan,
                QueueTimeout = TimeSpan.Zero,
            };
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(c.Ffmpeg.RecordingExecutionTimeout);
            while (true)
            {
                session.Process = await ffmpeg.StartAsync(args, job, StdoutMode.Progress, ct);
                try
                {
                    await WaitForFirstSegmentAsync(session, Max(deadline - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1)), ct);
                    break;
                }
                catch (FfmpegException) when (session.Process.HasExited && DateTimeOffset.UtcNow + ColdStreamRetryPause < deadline)
                {
                    // A cold on-demand stream: the first reader can be turned away while the camera's
                    // publisher is still starting (slow boards, slow cameras). Read again until the deadline;
                    // a stream that is up and still fails is a real failure and is not retried.
                    if (await StreamIsReadyAsync(camera, ct)) throw;
                    log.LogInformation("Recording of {Device}: the stream is still starting; reading again", camera.Device);
                    session.Process.Dispose();
                    session.Process = null;
                    await Task.Delay(ColdStreamRetryPause, ct);
                }
            }
            session.State = RecordingState.Recording;
            log.LogInformation("Recording {Session} of {Device} started: {File}", session.SessionId, camera.Device, session.FileName);
            _ = Task.Run(() => WatchAsync(session));
            events.Publish(new RecordingEvent(session, "STARTED", null));
            return session;
        }
        catch (Exception ex)
        {
            _sessions.TryRemove(new KeyValuePair<string, RecordingSession>(camera.Device, session));
            if (session.Process is { } p)
            {
                await p.StopAsync(CancellationToken.None);
                p.Dispose();
            }
            if (ex is RecordingRefusedException or OperationCanceledException) throw;
            var why = ex is FfmpegException fe ? fe.Message : ex.Message;
            log.LogWarning("Recording of {Device} could not start: {Error}", camera.Device, why);
            throw new RecordingRefusedException(Rpc.RpcErrorCode.MediaServerUnavailable, $"Recording could not start: {why}");
        }
    }

    public async Task<RecordingSession> StopAsync(string device, CancellationToken ct)
    {
        if (!_sessions.TryGetValue(device, out var session))
            throw new RecordingRefusedException(Rpc.RpcErrorCode.InvalidParams, $"No recording in progress on {device}");
        session.StopRequested = true;
        if (session.Process is { } p) await p.StopAsync(ct);
        Finish(session, RecordingState.Stopped, null);
        return session;
    }

    /// <summary>Stops every recording cleanly (service shutdown): files are finalised, not cut.</summary>
    public Task StopAllAsync(CancellationToken ct) =>
        Task.WhenAll(_sessions.Keys.ToList().Select(async d =>
        {
            try { await StopAsync(d, ct); } catch (RecordingRefusedException) { }
        }));

    private static readonly TimeSpan ColdStreamRetryPause = TimeSpan.FromSeconds(1);

    // False when MediaMTX says the path is not ready yet; an unreachable MediaMTX counts as ready
    // (nothing to wait for: the failure stands).
    private async Task<bool> StreamIsReadyAsync(Camera camera, CancellationToken ct)
    {
        try { return (await mediaMtx.GetPathAsync(camera.StreamPath, ct))?.IsReady ?? false; }
        catch (Exception ex) when (ex is not OperationCanceledException) { return true; }
    }

    private static async Task WaitForFirstSegmentAsync(RecordingSession session, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            session.RefreshFiles();
            if (session.Files.Count > 0) return;
            if (session.Process!.HasExited)
                throw new FfmpegException($"FFmpeg exited (code {await session.Process.Exited}) before writing anything", session.Process.StderrTail);
            if (DateTimeOffset.UtcNow > deadline)
                throw new FfmpegException($"no video from the stream within {timeout.TotalSeconds:0} s", session.Process.StderrTail);
            await Task.Delay(50, ct);
        }
    }

    // Follows a running recording: new segment files, progress events, and how it ends when nobody asked it to.
    private async Task WatchAsync(RecordingSession session)
    {
        var process = session.Process!;
        var nextStorageCheck = DateTimeOffset.UtcNow.AddSeconds(1);
        var nextProgress = DateTimeOffset.UtcNow.AddSeconds(config.Current.Recording.ProgressInterval);
        while (!process.HasExited)
        {
            var now = DateTimeOffset.UtcNow;
            var wake = nextStorageCheck < nextProgress ? nextStorageCheck : nextProgress;
            await Task.WhenAny(process.Exited, Task.Delay(Max(wake - now, TimeSpan.FromMilliseconds(10))));
            if (process.HasExited || session.StopRequested) continue;
            now = DateTimeOffset.UtcNow;
            if (now >= nextProgress)
            {
                // The interval is read each time: an edit of recording.progress_interval applies to running recordings.
                nextProgress = now.AddSeconds(config.Current.Recording.ProgressInterval);
                PublishProgress(session);
            }
            if (now < nextStorageCheck) continue;
            nextStorageCheck = now.AddSeconds(1);
            // recording.max_duration bounds every recording, timed or not (read each time: the key is live).
            if (session.Elapsed >= TimeSpan.FromSeconds(config.Current.Recording.MaxDuration))
            {
                log.LogInformation("Recording {Session} of {Device} reached recording.max_duration; stopping it", session.SessionId, session.Camera.Device);
                session.StopRequested = true;
                await process.StopAsync(CancellationToken.None);
                Finish(session, RecordingState.Stopped, "recording.max_duration reached");
                return;
            }
            session.RefreshFiles();
            if (KeepRecording is null) continue;
            bool keep;
            try { keep = await KeepRecording(CancellationToken.None); }
            catch (Exception ex) { log.LogError(ex, "Storage check during recording failed"); keep = true; }
            if (keep) continue;
            log.LogWarning("Disk full and nothing old left to delete: stopping recording {Session} of {Device} cleanly", session.SessionId, session.Camera.Device);
            session.StopRequested = true;
            await process.StopAsync(CancellationToken.None);
            Finish(session, RecordingState.Stopped, "storage full");
            return;
        }
        var code = await process.Exited;
        if (session.StopRequested) return;
        var reachedDuration = session.Duration is { } d && code == 0 && session.Elapsed >= d - TimeSpan.FromSeconds(2);
        if (reachedDuration) Finish(session, RecordingState.Stopped, null);
        else Finish(session, RecordingState.Failed, $"the stream ended (FFmpeg exit code {code}): {process.StderrTail.Trim()}".TrimEnd(' ', ':'));
    }

    private void PublishProgress(RecordingSession session)
    {
        session.RefreshFiles();
        var files = session.Files;
        if (files.Count == 0) return;
        var duration = session.Process?.Progress?.OutTime is { } written && written > TimeSpan.Zero ? written : session.Elapsed;
        events.Publish(new RecordingProgress(session, duration, session.TotalBytes, files[^1], files.Count));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private void Finish(RecordingSession session, RecordingState state, string? error)
    {
        if (!_sessions.TryRemove(new KeyValuePair<string, RecordingSession>(session.Camera.Device, session))) return;
        session.RefreshFiles();
        session.EndTime = DateTimeOffset.UtcNow;
        session.State = state;
        session.Error = error;
        session.Process?.Dispose();
        if (state == RecordingState.Failed)
            log.LogWarning("Recording {Session} of {Device} FAILED after {Seconds:F0} s, files kept ({Files}): {Error}", session.SessionId, session.Camera.Device, session.Elapsed.TotalSeconds, string.Join(", ", session.Files), error);
        else
            log.LogInformation("Recording {Session} of {Device} stopped after {Seconds:F0} s: {Files}", session.SessionId, session.Camera.Device, session.Elapsed.TotalSeconds, string.Join(", ", session.Files));
        events.Publish(new RecordingEvent(session, state == RecordingState.Failed ? "FAILED" : "STOPPED", error));
    }
}
