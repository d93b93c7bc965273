using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Media.Ffmpeg;
using Appliance.Media.Recordings.Repair;
using Appliance.Processes;
using Appliance.Resources;
using Appliance.Storage;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Recordings;

/// <summary>
/// Runs the recordings: at most one per camera, each an FFmpeg process copying the camera's
/// MediaMTX stream into rotating segment files. A recording ends when asked, when its duration is
/// reached, when the disk is full, or when it fails: the camera is pulled, the media server goes,
/// FFmpeg crashes or stops making progress (<see cref="ProgressStallDetector"/>). A failed
/// recording's last file is cut back to its last whole fragment, its reason is told to listeners
/// and remembered (<see cref="RecordingEndLog"/>); with recording.restart_on_failure it goes on in
/// a new segment once it can. The API's start/stop_recording and the GPIO button's long press both come here.
/// </summary>
public sealed class Recorder
{
    private readonly RecordingsInProgress _sessions;
    private readonly ConfigStore config;
    private readonly ILiveStreams streams;
    private readonly FfmpegRunner ffmpeg;
    private readonly EventHub events;
    private readonly ILogger<Recorder> log;
    private readonly RecordingEndLog ends;
    private readonly ResourceGuard resources;
    private readonly RecordingRoom room;

    // How the watcher saw a recording end (null from the watcher: someone else ended it).
    private readonly record struct Ending(RecordingState State, RecordingEndReason Reason, string? Error);

    private static readonly TimeSpan ColdStreamRetryPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KilledExitWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxResumeBackoff = TimeSpan.FromSeconds(30);

    /// <param name="running">The table of recordings in progress, shared with storage (which files are being written).</param>
    /// <param name="room">Room on disk: asked before a start (deleting old files if needed) and every second while recording.</param>
    /// <param name="resources">Admits each new recording by what the box has left (CPU, memory).</param>
    /// <param name="ends">Why each file ended, kept across restarts (get_recording_info).</param>
    public Recorder(ConfigStore config, ILiveStreams streams, FfmpegRunner ffmpeg, EventHub events, RecordingsInProgress running,
        RecordingRoom room, ResourceGuard resources, RecordingEndLog ends, ILogger<Recorder> log)
    {
        this.config = config;
        this.streams = streams;
        this.ffmpeg = ffmpeg;
        this.events = events;
        _sessions = running;
        this.room = room;
        this.resources = resources;
        this.ends = ends;
        this.log = log;
        events.On<CameraChange>(nameof(Recorder), OnCameraChange);
    }

    public RecordingSession? Active(string device) => _sessions.GetValueOrDefault(device);

    public IReadOnlyCollection<RecordingSession> ActiveSessions => _sessions.Values;

    public RecorderCounters Counters { get; } = new();

    /// <summary>True for every segment of a running recording (see <see cref="RecordingsInProgress.IsBeingWritten"/>).</summary>
    public bool IsBeingWritten(string fullPath) => _sessions.IsBeingWritten(fullPath);

    /// <param name="options">Codec, quality and container (<see cref="RecordingOptionsResolver"/>); null: a stream copy in recording.format.</param>
    public async Task<RecordingSession> StartAsync(Camera camera, TimeSpan? duration, RecordingOptions? options, CancellationToken ct)
    {
        var c = config.Current;
        if (!camera.IsConnected) throw new RecordingRefusedException(RecordingRefusal.CameraUnavailable, $"Camera {camera.Device} is {Camera.StatusName(camera.Status)}");
        options ??= RecordingOptions.StreamCopy(c.Recording.Format);
        var session = new RecordingSession(camera, options, duration, c.Recording.Path, DateTimeOffset.UtcNow);
        // Each file's options are remembered from the moment it appears (list_recordings, get_recording_info, after a restart too).
        session.FileAdded = file => ends.NoteFile(file, session.SessionId, options.Requested, DateTimeOffset.UtcNow);
        if (!_sessions.TryAdd(session))
            throw new RecordingRefusedException(RecordingRefusal.AlreadyRecording, $"Recording already in progress on {camera.Device}");
        try
        {
            // Recordings are not counted: one per camera (above) and whatever the box has room for.
            // A resumed recording was admitted when it started and is not asked again.
            try { await resources.EnsureRoomForRecordingAsync(transcode: options.Transcodes, ct); }
            catch (ResourceLimitException e) { throw new RecordingRefusedException(RecordingRefusal.NoResources, $"Recording refused: {e.Message}"); }
            try { await room.EnsureRoomAsync(ct); }
            catch (InsufficientStorageException e) { throw new RecordingRefusedException(RecordingRefusal.NoStorageRoom, e.Message); }
            if (streams.MediaServerDown)
                throw new RecordingRefusedException(RecordingRefusal.MediaServerUnavailable, "MediaMTX unavailable (circuit open): cannot record now");
            Directory.CreateDirectory(session.Directory);
            session.RememberExisting();
            await LaunchAsync(session, ct);
            session.State = RecordingState.Recording;
            log.LogInformation("Recording {Session} of {Device} started: {File} ({Encoder})", session.SessionId, camera.Device, session.FileName,
                options.Encoder is { } encoder ? $"{encoder.Encoder}, quality {options.Requested.Quality}" : "stream copy");
            Counters.CountStart();
            _ = Task.Run(() => RunAsync(session));
            events.Publish(new RecordingEvent(session, RecordingStatus.Started, null));
            return session;
        }
        catch (Exception ex)
        {
            _sessions.TryRemove(session);
            if (ex is RecordingRefusedException or OperationCanceledException) throw;
            var why = ex is FfmpegException fe ? fe.Message : ex.Message;
            log.LogWarning("Recording of {Device} could not start: {Error}", camera.Device, why);
            throw new RecordingRefusedException(RecordingRefusal.CouldNotStart, $"Recording could not start: {why}");
        }
    }

    public Task<RecordingSession> StopAsync(string device, CancellationToken ct) => StopAsync(device, RecordingEndReason.StoppedByClient, ct);

    /// <summary>Stops every recording cleanly (service shutdown): files are finalised, not cut.</summary>
    public Task StopAllAsync(CancellationToken ct) =>
        Task.WhenAll(_sessions.Devices.Select(async d =>
        {
            try { await StopAsync(d, RecordingEndReason.ServiceStopping, ct); } catch (RecordingRefusedException) { }
        }));

    private async Task<RecordingSession> StopAsync(string device, RecordingEndReason reason, CancellationToken ct)
    {
        if (!_sessions.TryGetValue(device, out var session))
            throw new RecordingRefusedException(RecordingRefusal.NotRecording, $"No recording in progress on {device}");
        // In this order: a resume that launches a process after this reads StopRequested and stops it itself.
        session.StopRequested = true;
        await session.Stopping.CancelAsync();
        session.Nudge();
        if (session.Process is { } p)
        {
            try { await p.StopAsync(ct); }
            catch (FfmpegException e) { log.LogError("Recording {Session} of {Device}: {Error}; moving on", session.SessionId, device, e.Message); }
        }
        Finish(session, RecordingState.Stopped, reason, null);
        return session;
    }

    // A camera pulled out mid-recording: stop FFmpeg now ('q': it finishes the file) rather than at
    // its read timeout, and say why. A camera coming back wakes a recording waiting to resume.
    private void OnCameraChange(CameraChange change)
    {
        if (!_sessions.TryGetValue(change.Current.Device, out var session)) return;
        session.CameraPresent = change.Current.IsConnected;
        if (change.Current.IsConnected) { session.Nudge(); return; }
        if (session.State != RecordingState.Recording || session.Process is not { HasExited: false } process) return;
        session.PendingFailure = RecordingEndReason.CameraLost;
        _ = process.StopAsync(CancellationToken.None).ContinueWith(t => log.LogError("Stopping the recorder of a lost camera: {Error}", t.Exception?.InnerException?.Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    // Starts FFmpeg for the session and waits for its first segment file.
    private async Task LaunchAsync(RecordingSession session, CancellationToken ct)
    {
        var c = config.Current;
        var camera = session.Camera;
        var remaining = session.Duration is { } d ? d - session.Elapsed : (TimeSpan?)null;
        if (session.Restarts == 0) remaining = session.Duration; // the first start counts from now, not from the request
        var args = RecordingArguments.Build(streams.ReadUrl(camera), session.Directory,
            camera.Id.FilePrefix, session.Options, remaining, c.Recording.SegmentDuration, camera.Resolution.Width, camera.Resolution.Height, camera.Fps);
        var job = new FfmpegJob
        {
            CreationTimeout = TimeSpan.FromSeconds(c.Ffmpeg.RecordingProcessCreationTimeout),
            ExecutionTimeout = Timeout.InfiniteTimeSpan,
            QueueTimeout = TimeSpan.Zero,
            TakesSlot = false, // admitted by the resource guard at start, not by ffmpeg.max_concurrent
        };
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(c.Ffmpeg.RecordingExecutionTimeout);
        var knownFiles = session.Files.Count;
        var retriedNoPicture = false;
        try
        {
            while (true)
            {
                var wasReady = await StreamIsReadyAsync(camera, ct);
                session.Process = await ffmpeg.StartAsync(args, job, StdoutMode.Progress, ct);
                try
                {
                    await WaitForNewSegmentAsync(session, knownFiles, Max(deadline - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1)), ct);
                    return;
                }
                catch (FfmpegException ex) when (session.Process.HasExited && DateTimeOffset.UtcNow + ColdStreamRetryPause < deadline)
                {
                    // A read whose probe found no picture in a live stream gets one more try (LiveStreamRead).
                    var noPicture = !retriedNoPicture && LiveStreamRead.FoundNoPicture(ex);
                    retriedNoPicture |= noPicture;
                    // A cold on-demand stream: the first reader can be turned away while the camera's
                    // publisher is still starting (slow boards, slow cameras). Read again until the deadline;
                    // a stream that was up when this reader started and still is up is a real failure and is
                    // not retried. A reader that found it cold is, even if the stream is up by now: it can
                    // give up (FFmpeg's socket timeout on the held DESCRIBE) just as the publisher comes up.
                    if (!noPicture && wasReady && await StreamIsReadyAsync(camera, ct)) throw;
                    if (noPicture) log.LogWarning("Recording of {Device}: FFmpeg found no picture in the live stream; reading again", camera.Device);
                    else log.LogInformation("Recording of {Device}: the stream is still starting; reading again", camera.Device);
                    session.Process.Dispose();
                    session.Process = null;
                    await Task.Delay(ColdStreamRetryPause, ct);
                }
            }
        }
        catch
        {
            if (session.Process is { } p)
            {
                try { await p.StopAsync(CancellationToken.None); } catch (FfmpegException) { }
                p.Dispose();
                session.Process = null;
            }
            throw;
        }
    }

    // False when MediaMTX says the path is not ready yet; an unreachable MediaMTX counts as ready
    // (nothing to wait for: the failure stands).
    private async Task<bool> StreamIsReadyAsync(Camera camera, CancellationToken ct)
    {
        try { return await streams.LivenessAsync(camera, ct) != StreamLiveness.NotReady; }
        catch (Exception ex) when (ex is not OperationCanceledException) { return true; }
    }

    private static async Task WaitForNewSegmentAsync(RecordingSession session, int knownFiles, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            session.RefreshFiles();
            if (session.Files.Count > knownFiles) return;
            if (session.Process!.HasExited)
                throw new FfmpegException($"FFmpeg exited (code {await session.Process.Exited}) before writing anything", session.Process.StderrTail);
            if (DateTimeOffset.UtcNow > deadline)
                throw new FfmpegException($"no video from the stream within {timeout.TotalSeconds:0} s", session.Process.StderrTail);
            await Task.Delay(50, ct);
        }
    }

    // The life of a started recording: watch it; when it fails, close its file whole and either end
    // it or, with recording.restart_on_failure, resume it in a new segment.
    private async Task RunAsync(RecordingSession session)
    {
        try
        {
            while (true)
            {
                if (await WatchAsync(session) is not { } end) return; // ended from outside (stop_recording, shutdown)
                if (end.State == RecordingState.Failed) CloseWhole(session);
                if (end.State == RecordingState.Failed && config.Current.Recording.RestartOnFailure && !session.StopRequested)
                {
                    NoteEnd(session, end.Reason, end.Error);
                    Counters.CountEnd(end.Reason);
                    session.State = RecordingState.Resuming;
                    log.LogWarning("Recording {Session} of {Device} FAILED ({Reason}: {Error}); it goes on in a new segment once it can",
                        session.SessionId, session.Camera.Device, RecordingEndReasons.Name(end.Reason), end.Error);
                    events.Publish(new RecordingEvent(session, RecordingStatus.Failed, end.Error, end.Reason, Restarting: true));
                    if (await ResumeAsync(session)) continue;
                    return;
                }
                Finish(session, end.State, end.Reason, end.Error);
                return;
            }
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Recording {Session} of {Device}: the watcher failed", session.SessionId, session.Camera.Device);
            if (session.Process is { } p) p.Dispose();
            Finish(session, RecordingState.Failed, RecordingEndReason.RecorderCrashed, ex.Message);
        }
    }

    // Follows a running recording: new segment files, progress events, fsyncs, and how it ends when nobody asked it to.
    private async Task<Ending?> WatchAsync(RecordingSession session)
    {
        var process = session.Process!;
        var stall = new ProgressStallDetector(TimeProvider.System);
        var nextCheck = DateTimeOffset.UtcNow.AddSeconds(1);
        var nextProgress = DateTimeOffset.UtcNow.AddSeconds(config.Current.Recording.ProgressInterval);
        var nextSync = DateTimeOffset.UtcNow;
        while (!process.HasExited)
        {
            var now = DateTimeOffset.UtcNow;
            var wake = nextCheck < nextProgress ? nextCheck : nextProgress;
            await Task.WhenAny(process.Exited, Task.Delay(Max(wake - now, TimeSpan.FromMilliseconds(10))));
            if (process.HasExited || session.StopRequested) continue;
            now = DateTimeOffset.UtcNow;
            // Every interval and timeout below is read each time: the keys are live.
            var c = config.Current;
            if (now >= nextProgress)
            {
                nextProgress = now.AddSeconds(c.Recording.ProgressInterval);
                PublishProgress(session);
            }
            if (now < nextCheck) continue;
            nextCheck = now.AddSeconds(1);
            session.RefreshFiles();
            if (stall.IsStalled(process.Progress, TimeSpan.FromSeconds(c.Ffmpeg.StallTimeout), out var silence) && session.PendingFailure is null)
                return await KillStalledAsync(session, process, silence);
            if (c.Recording.FsyncInterval > 0 && now >= nextSync)
            {
                nextSync = now.AddSeconds(c.Recording.FsyncInterval);
                session.Sync.Sync(session.Directory, session.Files);
            }
            // recording.max_duration bounds every recording, timed or not.
            if (session.Elapsed >= TimeSpan.FromSeconds(c.Recording.MaxDuration))
            {
                log.LogInformation("Recording {Session} of {Device} reached recording.max_duration; stopping it", session.SessionId, session.Camera.Device);
                return await EndCleanlyAsync(session, process, RecordingEndReason.DurationReached, "recording.max_duration reached");
            }
            bool keep;
            try { keep = await room.MakeRoomAsync(CancellationToken.None); }
            catch (Exception ex) { log.LogError(ex, "Storage check during recording failed"); keep = true; }
            if (keep) continue;
            log.LogWarning("Disk full and nothing old left to delete: stopping recording {Session} of {Device} cleanly", session.SessionId, session.Camera.Device);
            return await EndCleanlyAsync(session, process, RecordingEndReason.DiskFull, "the disk is full and nothing old is left to delete");
        }
        var code = await process.Exited;
        if (session.StopRequested) return null;
        if (session.PendingFailure is { } lost)
        {
            session.PendingFailure = null;
            return new Ending(RecordingState.Failed, lost, $"camera {session.Camera.Device} disconnected");
        }
        if (session.Duration is { } d && code == 0 && session.Elapsed >= d - TimeSpan.FromSeconds(2))
            return new Ending(RecordingState.Stopped, RecordingEndReason.DurationReached, null);
        var last = process.StderrTail.Trim();
        var reason = await ClassifyExitAsync(session, code);
        return new Ending(RecordingState.Failed, reason, $"the stream ended (FFmpeg exit code {code}){(last.Length > 0 ? ": " + last : "")}");
    }

    private async Task<Ending> EndCleanlyAsync(RecordingSession session, FfmpegProcess process, RecordingEndReason reason, string why)
    {
        session.StopRequested = true;
        try { await process.StopAsync(CancellationToken.None); }
        catch (FfmpegException e) { log.LogError("Recording {Session}: {Error}; moving on", session.SessionId, e.Message); }
        return new Ending(RecordingState.Stopped, reason, why);
    }

    // No progress for ffmpeg.stall_timeout: SIGKILL the group. A process that does not go even then is
    // stuck in uninterruptible I/O (a dying card, a wedged USB device): waiting for it would hang this
    // recording forever, so it is reported and left behind.
    private async Task<Ending> KillStalledAsync(RecordingSession session, FfmpegProcess process, TimeSpan silence)
    {
        log.LogWarning("Recording {Session} of {Device}: FFmpeg {Process} made no progress for {Seconds:F0} s (ffmpeg.stall_timeout); killing it",
            session.SessionId, session.Camera.Device, process, silence.TotalSeconds);
        var error = $"FFmpeg made no progress for {silence.TotalSeconds:0} s and was killed";
        if (!await process.KillAsync(KilledExitWait))
        {
            var state = ProcFs.TryReadStat(process.Pid, out var stat) ? stat.State : '?';
            log.LogError("Recording {Session}: FFmpeg {Process} is still there {Wait} s after SIGKILL (state {State}: uninterruptible I/O?); leaving it behind",
                session.SessionId, process, KilledExitWait.TotalSeconds, state);
            error += $"; it did not exit (state {state}: stuck in uninterruptible I/O)";
        }
        return new Ending(RecordingState.Failed, RecordingEndReason.RecorderStalled, error);
    }

    // FFmpeg ended on its own. Killed by a signal: it crashed (or was killed). Otherwise the stream
    // ended: the camera went, MediaMTX went, or (both fine) FFmpeg gave up by itself.
    private async Task<RecordingEndReason> ClassifyExitAsync(RecordingSession session, int code)
    {
        if (code is > 128 and < 160) return RecordingEndReason.RecorderCrashed;
        if (!session.CameraPresent) return RecordingEndReason.CameraLost;
        if (streams.MediaServerDown) return RecordingEndReason.MediaServerLost;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            return await streams.LivenessAsync(session.Camera, timeout.Token) switch
            {
                StreamLiveness.Ready => RecordingEndReason.RecorderCrashed,
                StreamLiveness.NotReady => RecordingEndReason.CameraLost,
                _ => RecordingEndReason.MediaServerLost,
            };
        }
        catch (Exception)
        {
            return RecordingEndReason.MediaServerLost;
        }
    }

    // Goes on in a new segment after a failure, as soon as it can: the camera is there and FFmpeg
    // starts writing. Backs off while it cannot. False when the recording ended meanwhile.
    private async Task<bool> ResumeAsync(RecordingSession session)
    {
        var backoff = TimeSpan.FromSeconds(1);
        session.Process?.Dispose();
        // Segment names have a one-second resolution: a new FFmpeg in the second the failed one
        // started its segment would write over that file. So the first attempt waits for the next second.
        try { await Task.Delay(TimeSpan.FromMilliseconds(1100 - DateTime.UtcNow.Millisecond), session.Stopping.Token); }
        catch (OperationCanceledException) { return false; }
        while (!session.StopRequested)
        {
            var c = config.Current;
            var remaining = session.Duration is { } d ? d - session.Elapsed : TimeSpan.MaxValue;
            if (session.Elapsed >= TimeSpan.FromSeconds(c.Recording.MaxDuration) || remaining <= TimeSpan.Zero)
            {
                Finish(session, RecordingState.Stopped, RecordingEndReason.DurationReached, "the recording's time ran out while it waited to resume");
                return false;
            }
            if (session.CameraPresent && !streams.MediaServerDown)
            {
                try
                {
                    session.Restarts++;
                    await LaunchAsync(session, session.Stopping.Token);
                    if (session.StopRequested)
                    {
                        // stop_recording came while this launched: it has finished the session; the new process is ours to stop.
                        if (session.Process is { } p) { try { await p.StopAsync(CancellationToken.None); } catch (FfmpegException) { } p.Dispose(); }
                        return false;
                    }
                    session.State = RecordingState.Recording;
                    Counters.CountResume();
                    log.LogInformation("Recording {Session} of {Device} resumed in {File}", session.SessionId, session.Camera.Device, session.LastFile);
                    events.Publish(new RecordingEvent(session, RecordingStatus.Started, null, Resumed: true));
                    return true;
                }
                catch (OperationCanceledException) when (session.StopRequested) { return false; }
                catch (Exception ex)
                {
                    session.Restarts--;
                    log.LogInformation("Recording {Session} of {Device} cannot resume yet: {Error}", session.SessionId, session.Camera.Device, ex.Message);
                }
            }
            try { await session.Wake.WaitAsync(backoff, session.Stopping.Token); }
            catch (OperationCanceledException) { return false; }
            backoff = backoff * 2 > MaxResumeBackoff ? MaxResumeBackoff : backoff * 2;
        }
        return false;
    }

    // A failed FFmpeg can leave half a fragment at the end of its file: cut it back to the last whole one.
    private void CloseWhole(RecordingSession session)
    {
        if (session.Process is { HasExited: false }) return; // left behind in uninterruptible I/O: it may still write
        session.RefreshFiles(); // a segment may have rotated in since the watcher's last look
        if (session.LastFile is not { } file) return;
        RepairResult result;
        try { result = TornTailRepair.Repair(Path.Combine(session.Directory, file)); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            log.LogError("Recording {Session}: could not check {File} for a torn tail: {Error}", session.SessionId, file, ex.Message);
            return;
        }
        if (RecordingRecovery.RemoveIfEmpty(result, log))
        {
            session.Forget(file); // killed within a segment's first fragment: it held only a header
            return;
        }
        if (!result.Changed) return;
        Counters.CountTornTails();
        log.LogWarning("Recording {Session}: {File} cut back to its last whole fragment ({Bytes} bytes of a torn one removed)",
            session.SessionId, file, result.BytesCut);
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

    private void NoteEnd(RecordingSession session, RecordingEndReason reason, string? error)
    {
        session.RefreshFiles();
        if (config.Current.Recording.FsyncInterval > 0) session.Sync.Sync(session.Directory, session.Files);
        // The newest file that is still there: one that held no frame was removed by CloseWhole.
        if (session.Files.LastOrDefault(f => File.Exists(Path.Combine(session.Directory, f))) is not { } file) return;
        ends.Record(new RecordingEnd(file, session.SessionId, RecordingEndReasons.Name(reason), error, DateTimeOffset.UtcNow, session.Options.Requested));
    }

    private void Finish(RecordingSession session, RecordingState state, RecordingEndReason reason, string? error)
    {
        if (!_sessions.TryRemove(session)) return;
        NoteEnd(session, reason, error);
        session.EndTime = DateTimeOffset.UtcNow;
        session.State = state;
        session.EndReason = reason;
        session.Error = error;
        session.Process?.Dispose();
        Counters.CountEnd(reason);
        Counters.AddFinished(session.Sync);
        var name = RecordingEndReasons.Name(reason);
        if (state == RecordingState.Failed)
            log.LogWarning("Recording {Session} of {Device} FAILED ({Reason}) after {Seconds:F0} s, files kept ({Files}): {Error}",
                session.SessionId, session.Camera.Device, name, session.Elapsed.TotalSeconds, string.Join(", ", session.Files), error);
        else
            log.LogInformation("Recording {Session} of {Device} stopped ({Reason}) after {Seconds:F0} s: {Files}",
                session.SessionId, session.Camera.Device, name, session.Elapsed.TotalSeconds, string.Join(", ", session.Files));
        events.Publish(new RecordingEvent(session, state == RecordingState.Failed ? RecordingStatus.Failed : RecordingStatus.Stopped, error, reason));
    }
}
