using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Testing.MediaMtx;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// faults: what each fault a recording can meet costs, against the real binary, real FFmpeg, the
/// MediaMTX stand-in's real GStreamer RTSP relay and real files. For each fault, --fault-samples
/// recordings of a virtual camera (1280x720@30, testsrc2, GOP 15) run for 3–3.5 s (a random part of
/// one GOP, fixed seed, so faults land anywhere in a fragment), then the fault is applied:
/// <list type="bullet">
/// <item>clean stop_recording (the control: it calibrates the loss measure, which should read ~0);</item>
/// <item>SIGKILL of the recorder FFmpeg; SIGSTOP of it with ffmpeg.stall_timeout 10 s (default) and 3 s;</item>
/// <item>the media server goes (the stand-in is stopped), with recording.restart_on_failure, and comes back 2 s later;</item>
/// <item>the disk fills (a tmpfs over the recordings directory, as root; skipped otherwise) past storage.min_free_mb;</item>
/// <item>a power cut: the service and its FFmpeg children are frozen and SIGKILLed at once, then the service is started again;</item>
/// <item>a crash: the service alone is SIGKILLed (its FFmpeg, in a session of its own, lives on), started again 0.5 s later.</item>
/// </list>
/// Measured: the time from the fault to the recording_status_update a subscribed client gets (its
/// status, reason, restarting); the seconds of video lost = (media time that should be in the files:
/// from the moment the recording's first file appeared to the fault) − (what ffprobe decodes of all
/// its files: frames counted by -count_frames / frame rate); and whether ffprobe printed any error
/// line. Then one 60 s recording with recording.fsync_interval 5, its fsyncs counted and timed with
/// strace (the service's own totals are in get_metrics.recordings).
/// </summary>
public sealed partial class FaultsScenario : IScenario
{
    private const int CameraCount = 4;
    private const double PreFaultSeconds = 3.0;
    private const double PreFaultJitterSeconds = 0.5; // one GOP: 15 frames at 30 fps
    private const int ShortStallSeconds = 3;
    private const int DefaultStallSeconds = 10; // ffmpeg.stall_timeout's default
    private const double OutageSeconds = 2;
    private const int FsyncRecordSeconds = 60;
    private const int FsyncIntervalSeconds = 5; // recording.fsync_interval's default
    private const int TmpfsMiB = 16;
    private const int MinFreeMiB = 4;
    private const double DiskMarginMiB = 1.0; // about 4 s of video at 2 Mbit/s
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    // One health check (mediamtx.health_check_interval 1 s) and a margin: a new service instance has
    // put its own (per-boot) credentials into the stand-in's runOnDemand commands before we record.
    private static readonly TimeSpan Reconcile = TimeSpan.FromSeconds(1.5);
    private static readonly string[] Devices = [.. Enumerable.Range(0, CameraCount).Select(i => $"virtual{i}")];

    private readonly List<(string Fault, List<FaultSample> Samples)> _results = [];
    private readonly Dictionary<string, string> _phantomReaders = new(StringComparer.Ordinal);
    private readonly Random _random = new(7);
    private readonly List<string> _repairs = [];
    private readonly ConcurrentQueue<string> _serviceProblems = new();
    private long _anchorTimestamp;
    private double _anchorUnixSeconds;

    public string Name => "faults";

    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(300 + 120 * options.FaultSamples);

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        _results.Clear();
        _phantomReaders.Clear();
        _serviceProblems.Clear();
        _repairs.Clear();
        _anchorTimestamp = Stopwatch.GetTimestamp();
        _anchorUnixSeconds = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        foreach (var tool in new[] { "ffmpeg", "ffprobe" })
            if (!OnPath(tool)) throw new InvalidOperationException($"{tool} is not on PATH: the faults scenario needs FFmpeg");

        Console.Error.WriteLine("  faults: starting the MediaMTX stand-in with its RTSP relay");
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, UseRelay = true });
        report.Add(Name, "MediaMTX stand-in", $"API 127.0.0.1:{standIn.ApiPort}, GStreamer RTSP relay 127.0.0.1:{standIn.RtspPort}, imitating MediaMTX {standIn.Version}");

        try
        {
            await RunFaultsAsync(options, standIn, report, cancellation);
        }
        finally
        {
            // Whatever was measured is reported, also when a later instance could not start.
            ReportResults(report);
            if (_repairs.Count > 0)
                report.Observe(Name, $"the stand-in lost count of a recording's reader {_repairs.Count} time(s) ({string.Join(", ", _repairs)}): a reader was added by hand (SimulateReader) until the recording ended; see the media scenario");
            // The same line for every sample: ids, pids, names and times made alike, then counted.
            foreach (var group in _serviceProblems.Select(Normalize).GroupBy(l => l).Take(15))
                report.Observe(Name, $"service log ×{group.Count()}: `{group.Key}`");
        }
    }

    private async Task RunFaultsAsync(Options options, MediaMtxStandIn standIn, Report report, CancellationToken cancellation)
    {
        var n = options.FaultSamples;

        // A: the defaults (stall_timeout 10 s, fsync_interval 5 s, no restart_on_failure).
        await using (var a = await StartInstanceAsync(options, "defaults", standIn, DefaultStallSeconds, "", "", null, cancellation))
        {
            await PhaseAsync(report, "clean stop_recording (control)", n, _ => CleanStopAsync(a, standIn, "virtual0", cancellation), cancellation);
            await PhaseAsync(report, "recorder FFmpeg SIGKILL", n, _ => SignalRecorderAsync(a, standIn, "virtual0", Signals.Kill, TimeSpan.FromSeconds(20), cancellation), cancellation);
            await PhaseAsync(report, $"recorder FFmpeg SIGSTOP, stall_timeout {DefaultStallSeconds} s", n,
                _ => SignalRecorderAsync(a, standIn, "virtual1", Signals.Stop, TimeSpan.FromSeconds(DefaultStallSeconds + 20), cancellation), cancellation);
            await PhaseAsync(report, "power cut (service + FFmpeg SIGKILLed at once), restart", n, _ => PowerCutAsync(a, standIn, "virtual2", cancellation), cancellation);
            await PhaseAsync(report, "service SIGKILL alone (crash; its FFmpeg lives on), restart", n, _ => ServiceCrashAsync(a, standIn, "virtual2", cancellation), cancellation);
            try { await FsyncPhaseAsync(a, standIn, "virtual3", report, cancellation); }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or TimeoutException or System.ComponentModel.Win32Exception && !cancellation.IsCancellationRequested)
            {
                report.Fail(Name, $"fsync phase: {ex.GetType().Name}: {ex.Message}");
            }
            await a.StopAsync(cancellation);
        }

        // B: a short stall timeout.
        await using (var b = await StartInstanceAsync(options, "stall_timeout 3", standIn, ShortStallSeconds, "", "", null, cancellation))
        {
            await PhaseAsync(report, $"recorder FFmpeg SIGSTOP, stall_timeout {ShortStallSeconds} s", n,
                _ => SignalRecorderAsync(b, standIn, "virtual1", Signals.Stop, TimeSpan.FromSeconds(ShortStallSeconds + 20), cancellation), cancellation);
            await b.StopAsync(cancellation);
        }

        // C: the media server goes and comes back; the recording resumes (restart_on_failure).
        await using (var c = await StartInstanceAsync(options, "restart_on_failure", standIn, DefaultStallSeconds, "restart_on_failure = true", "", null, cancellation))
        {
            await PhaseAsync(report, "media server down (stand-in stopped), back after 2 s, restart_on_failure", n,
                _ => MediaServerDownAsync(c, standIn, "virtual0", cancellation), cancellation);
            await c.StopAsync(cancellation);
        }

        // D: the disk fills: a small tmpfs over the recordings directory.
        if (!Environment.IsPrivilegedProcess)
        {
            report.Add(Name, "disk full", "skipped: mounting a tmpfs needs root (run the load client as root to measure it)");
        }
        else
        {
            string? mounted = null;
            Instance? d = null;
            try
            {
                d = await StartInstanceAsync(options, "disk", standIn, DefaultStallSeconds, "", $"min_free_mb = {MinFreeMiB}", async config =>
                {
                    await RunAsync("mount", ["-t", "tmpfs", "-o", $"size={TmpfsMiB}m,mode=0755", "appliance-bench-faults", config.RecordingsPath], cancellation);
                    mounted = config.RecordingsPath;
                }, cancellation);
                await PhaseAsync(report, $"disk full (tmpfs {TmpfsMiB} MiB, storage.min_free_mb {MinFreeMiB})", n, _ => DiskFullAsync(d, standIn, "virtual2", cancellation), cancellation);
                await d.StopAsync(cancellation);
            }
            catch (InvalidOperationException ex) when (mounted is null && !cancellation.IsCancellationRequested)
            {
                report.Add(Name, "disk full", $"skipped: could not mount a tmpfs ({ex.Message})");
            }
            finally
            {
                // Unmounted before the temp directory is deleted (a mount point cannot be removed).
                if (d is not null) await d.StopAsync(CancellationToken.None);
                if (mounted is not null) await RunAsync("umount", ["-l", mounted], CancellationToken.None);
                if (d is not null) await d.DisposeAsync();
                else if (mounted is not null && Path.GetDirectoryName(mounted) is { } home)
                {
                    // The instance failed to start after the mount, and its disposal could not delete the mount point.
                    try { Directory.Delete(home, recursive: true); } catch (IOException) { }
                }
            }
        }
    }

    // ---- the faults -------------------------------------------------------------------------

    private async Task<FaultSample> CleanStopAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        await WaitPreFaultAsync(rec, ct);
        var fault = Stopwatch.GetTimestamp();
        var stop = await CallAsync(service.Client, "stop_recording", device, StopTimeout, ct);
        var note = await service.Notes.WaitAsync(n => n.RecordingId == rec.SessionId && n.Status is "STOPPED" or "FAILED", fault, TimeSpan.FromSeconds(10), ct);
        ForgetPhantomReader(standIn, device);
        var sample = await MeasureAsync(rec, fault, fault, note, rec.NewFiles(service.Config.RecordingsPath), service.Config.RecordingsPath, ct);
        return sample with { Extra = Join(sample.Extra, $"stop_recording reply {Report.Ms(stop.Ms)}") };
    }

    private async Task<FaultSample> SignalRecorderAsync(Instance service, MediaMtxStandIn standIn, string device, int signal, TimeSpan wait, CancellationToken ct)
    {
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        await WaitPreFaultAsync(rec, ct);
        var recorder = FindRecorder(service, device) ?? throw new InvalidOperationException($"no recorder FFmpeg of {device} under the service");
        var fault = Stopwatch.GetTimestamp();
        if (!Signals.Send(recorder.Pid, signal)) throw new InvalidOperationException($"kill({recorder.Pid}, {signal}) failed: the recorder had gone");
        var note = await service.Notes.WaitAsync(n => n.RecordingId == rec.SessionId && n.Status is "STOPPED" or "FAILED", fault, wait, ct);
        ForgetPhantomReader(standIn, device);
        if (note is null && signal == Signals.Stop) Signals.Send(recorder.Pid, Signals.Kill); // never leave a stopped process behind
        if (note is null) await TryStopAsync(service, device, ct);
        // The service has killed (stall) or reaped (kill) the recorder by now: its file is complete.
        return await MeasureAsync(rec, fault, fault, note, rec.NewFiles(service.Config.RecordingsPath), service.Config.RecordingsPath, ct);
    }

    private async Task<FaultSample> PowerCutAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        await WaitPreFaultAsync(rec, ct);
        var pid = service.Process.Pid;
        var children = ProcessTree.Descendants(pid).Select(p => p.Pid).ToList();
        // Everything stops at the same instant (no process sees another die), then dies.
        var fault = Stopwatch.GetTimestamp();
        Signals.Send(pid, Signals.Stop);
        foreach (var child in children) Signals.Send(child, Signals.Stop);
        Signals.Send(pid, Signals.Kill);
        foreach (var child in children) Signals.Send(child, Signals.Kill);
        if (!await WaitUntilAsync(() => service.Process.HasExited && children.All(IsGone), TimeSpan.FromSeconds(10), ct, 5))
            throw new TimeoutException("the service or its FFmpeg did not die within 10 s of SIGKILL");
        ForgetPhantomReader(standIn, device);

        // Started again at once (systemd would wait RestartSec first).
        var spawnToReady = await service.RelaunchAsync(ct);
        var killToSpawn = Stopwatch.GetElapsedTime(fault, service.Process.StartedAt);
        var readyAt = await service.Process.Notify.Ready;
        var files = rec.NewFiles(service.Config.RecordingsPath);
        var names = files.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
        double? listedMs = null;
        string listed = "";
        var calls = 0;
        var firstCallMs = double.NaN;
        for (var i = 0; i < 300 && listedMs is null; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            using var reply = await ListRecordingsAsync(service.Client, ct);
            calls++;
            if (calls == 1) firstCallMs = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
            if (reply is not null)
            {
                var found = reply.RootElement.GetProperty("result").GetProperty("files").EnumerateArray()
                    .Where(f => names.Contains(f.GetProperty("filename").GetString() ?? "")).ToList();
                if (found.Count == names.Count && found.All(f => f.TryGetProperty("duration", out var d) && d.ValueKind == JsonValueKind.Number))
                {
                    listedMs = Stopwatch.GetElapsedTime(readyAt).TotalMilliseconds;
                    var total = reply.RootElement.GetProperty("result").GetProperty("files").GetArrayLength();
                    listed = string.Join(", ", found.Select(f => $"duration {f.GetProperty("duration").GetDouble().ToString("0.00", CultureInfo.InvariantCulture)} s")) + $", {total} files listed";
                    break;
                }
            }
            await Task.Delay(20, ct);
        }
        // The same call again: its durations now come from the service's (in-memory) ffprobe cache.
        var again = Stopwatch.GetTimestamp();
        using (await ListRecordingsAsync(service.Client, ct)) { }
        var secondCallMs = Stopwatch.GetElapsedTime(again).TotalMilliseconds;
        await WaitConfiguredAsync(standIn, ct);
        var sample = await MeasureAsync(rec, fault, fault, null, files, service.Config.RecordingsPath, ct);
        return sample with
        {
            NoticeMs = spawnToReady.TotalMilliseconds,
            Status = "READY",
            Reason = "",
            SecondMs = listedMs,
            Extra = Join(sample.Extra, $"spawn → READY {Report.Ms(spawnToReady)} (kill → spawn {Report.Ms(killToSpawn)}: the client's own teardown, where systemd waits RestartSec); READY → list_recordings lists the file {(listedMs is { } l ? Report.Ms(l) : "never")} ({listed}; {calls} call(s), the first took {Report.Ms(firstCallMs)}, the same call again {Report.Ms(secondCallMs)})"),
        };
    }

    // The service dies alone (OOM, a crash): its FFmpeg, in a session of its own, goes on writing. The next
    // start stops what the previous run recorded in ffmpeg-children.json (SIGTERM: FFmpeg finishes its file).
    private async Task<FaultSample> ServiceCrashAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        await WaitPreFaultAsync(rec, ct);
        var recorder = FindRecorder(service, device) ?? throw new InvalidOperationException($"no recorder FFmpeg of {device} under the service");
        var fault = Stopwatch.GetTimestamp();
        Signals.Send(service.Process.Pid, Signals.Kill);
        if (!await WaitUntilAsync(() => service.Process.HasExited, TimeSpan.FromSeconds(10), ct, 5))
            throw new TimeoutException("the service did not die within 10 s of SIGKILL");
        // Does FFmpeg live on without the service (its progress and stderr pipes now have no reader)?
        long? recorderGone = IsGone(recorder.Pid) ? Stopwatch.GetTimestamp() : null;
        var gone = Task.Run(async () =>
        {
            await WaitUntilAsync(() => IsGone(recorder.Pid), TimeSpan.FromSeconds(30), ct, 5);
            return Stopwatch.GetTimestamp();
        }, CancellationToken.None);
        await Task.Delay(500, ct); // systemd's RestartSec would be here: the recorder runs on meanwhile
        ForgetPhantomReader(standIn, device);
        var relaunchAt = Stopwatch.GetTimestamp();
        var spawnToReady = await service.RelaunchAsync(ct);
        var spawnAt = service.Process.StartedAt;
        var goneAt = recorderGone ?? await gone;
        var aliveAtRestart = goneAt > relaunchAt;
        // The restarted service logs "Stopping … left running by a previous run" just before its SIGTERM: from
        // then on FFmpeg takes no more frames (it finishes the file and tears the RTSP session down), so that is
        // where the video should end. Without the line: when FFmpeg was gone.
        var stoppedAt = service.LineSeen("left running by a previous run", relaunchAt);
        var end = aliveAtRestart && stoppedAt is { } st && st < goneAt ? st : goneAt;
        await WaitConfiguredAsync(standIn, ct);
        var sample = await MeasureAsync(rec, end, end, null, rec.NewFiles(service.Config.RecordingsPath), service.Config.RecordingsPath, ct);
        return sample with
        {
            NoticeMs = spawnToReady.TotalMilliseconds,
            Status = "READY",
            Reason = "",
            SecondMs = Stopwatch.GetElapsedTime(fault, goneAt).TotalMilliseconds,
            Extra = Join(sample.Extra, $"kill → FFmpeg gone {Report.Ms(Stopwatch.GetElapsedTime(fault, goneAt))} ({(aliveAtRestart ? $"stopped by the restarted service, {Report.Ms(Stopwatch.GetElapsedTime(spawnAt, goneAt))} after its spawn" : "it died before the restart")}); " +
                (end == goneAt ? "lost counted up to FFmpeg's end" : $"lost counted up to the service's \"Stopping … left running\" line, {Report.Ms(Stopwatch.GetElapsedTime(end, goneAt))} before FFmpeg was gone")),
        };
    }

    private async Task<FaultSample> MediaServerDownAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        await WaitPreFaultAsync(rec, ct);
        var fault = Stopwatch.GetTimestamp();
        await standIn.StopAsync();
        _phantomReaders.Clear(); // the stand-in's readers went with it
        var stopTook = Stopwatch.GetElapsedTime(fault);
        var failed = await service.Notes.WaitAsync(n => n.RecordingId == rec.SessionId && n.Status is "STOPPED" or "FAILED", fault, TimeSpan.FromSeconds(30), ct);
        var back = fault + (long)(OutageSeconds * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), back);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
        var restartAt = Stopwatch.GetTimestamp();
        await standIn.RestartAsync();
        var upAt = Stopwatch.GetTimestamp();
        var resumed = failed is { Restarting: true }
            ? await service.Notes.WaitAsync(n => n.RecordingId == rec.SessionId && n.Status == "STARTED" && n.Resumed, restartAt, TimeSpan.FromSeconds(60), ct)
            : null;
        if (resumed is not null)
        {
            await RepairLostReaderAsync(standIn, device, ct);
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
        }
        await TryStopAsync(service, device, ct);
        ForgetPhantomReader(standIn, device);
        var files = rec.NewFiles(service.Config.RecordingsPath);
        // The files up to the failure hold what was recorded before the fault; the resumed segment comes after.
        var cut = failed?.Segment ?? (files.Count > 0 ? Path.GetFileName(files[0]) : "");
        var before = files.Where(f => string.CompareOrdinal(Path.GetFileName(f), cut) <= 0).ToList();
        var after = files.Except(before).ToList();
        var sample = await MeasureAsync(rec, fault, fault, failed, before, service.Config.RecordingsPath, ct);
        var afterProbe = new List<Probe>();
        foreach (var f in after) afterProbe.Add(await FfprobeAsync(f, ct));
        var resumeMs = resumed is null ? (double?)null : Stopwatch.GetElapsedTime(upAt, resumed.At).TotalMilliseconds;
        return sample with
        {
            SecondMs = resumeMs,
            Files = sample.Files + after.Count,
            ErrorFiles = sample.ErrorFiles + afterProbe.Count(p => p.Errors.Count > 0),
            FirstError = sample.FirstError ?? afterProbe.SelectMany(p => p.Errors).FirstOrDefault(),
            Extra = Join(sample.Extra, $"stand-in stop took {Report.Ms(stopTook)}, its restart {Report.Ms(Stopwatch.GetElapsedTime(restartAt, upAt))}; stand-in up → STARTED resumed " +
                (resumeMs is { } r ? Report.Ms(r) : "never (60 s)") + $"; resumed segment {string.Join(", ", afterProbe.Select(p => $"{p.Decoded:0.00} s decoded"))}"),
        };
    }

    private async Task<FaultSample> DiskFullAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var dir = service.Config.RecordingsPath;
        // The previous sample's recordings go (the service would delete them itself to make room).
        foreach (var f in Directory.GetFiles(dir).Where(f => !f.EndsWith(".fill", StringComparison.Ordinal))) File.Delete(f);
        var filler = Path.Combine(dir, "filler.fill");
        var minFree = MinFreeMiB * 1024L * 1024;
        var surplus = new DriveInfo(dir).AvailableFreeSpace - minFree - (long)(DiskMarginMiB * 1024 * 1024);
        if (surplus > 0) await GrowAsync(filler, surplus, ct); // real pages: tmpfs does not count a sparse file
        var rec = await StartRecordingAsync(service, standIn, device, ct);
        long? crossed = null;
        for (var i = 0; i < 3000 && crossed is null; i++)
        {
            if (new DriveInfo(dir).AvailableFreeSpace < minFree) crossed = Stopwatch.GetTimestamp();
            else if (service.Notes.Find(n => n.RecordingId == rec.SessionId && n.Status is "STOPPED" or "FAILED") is not null) break;
            else await Task.Delay(10, ct);
        }
        if (crossed is null) throw new InvalidOperationException("the recording did not cross storage.min_free_mb within 30 s");
        var note = await service.Notes.WaitAsync(n => n.RecordingId == rec.SessionId && n.Status is "STOPPED" or "FAILED", crossed.Value, TimeSpan.FromSeconds(20), ct);
        if (note is null) await TryStopAsync(service, device, ct);
        ForgetPhantomReader(standIn, device);
        // A clean stop: everything up to the notification should be in the file.
        var stoppedAt = note?.At ?? Stopwatch.GetTimestamp();
        var sample = await MeasureAsync(rec, stoppedAt, stoppedAt, note, rec.NewFiles(dir), dir, ct);
        return sample with
        {
            NoticeMs = note is null ? null : Stopwatch.GetElapsedTime(crossed.Value, note.At).TotalMilliseconds,
            Extra = Join(sample.Extra, $"free {(new DriveInfo(dir).AvailableFreeSpace / 1048576.0).ToString("0.00", CultureInfo.InvariantCulture)} MiB after the stop"),
        };
    }

    // ---- fsync ------------------------------------------------------------------------------

    private async Task FsyncPhaseAsync(Instance service, MediaMtxStandIn standIn, string device, Report report, CancellationToken ct)
    {
        const string label = "fsync, one 60 s recording, fsync_interval 5 s";
        Console.Error.WriteLine($"  faults: {label}");
        report.Add(Name, $"{label}: what the service exposes", "nothing: RecordingSession.Sync counts fsyncs and bytes, but no RPC result, notification or log line carries them; counted with strace -f -e trace=fsync,fdatasync on the service");
        if (!OnPath("strace"))
        {
            report.Add(Name, label, "skipped: strace is not installed (apt-get install -y strace)");
            return;
        }
        var output = Path.Combine(service.Config.Directory, "strace.txt");
        var info = new ProcessStartInfo("strace") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-f", "-ttt", "-T", "-y", "-e", "trace=fsync,fdatasync", "-o", output, "-p", service.Process.Pid.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        using var strace = Process.Start(info) ?? throw new InvalidOperationException("could not start strace");
        var attached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var straceErr = new ConcurrentQueue<string>();
        strace.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            straceErr.Enqueue(e.Data);
            if (e.Data.Contains("attached", StringComparison.Ordinal)) attached.TrySetResult();
        };
        strace.BeginErrorReadLine();
        try
        {
            await Task.WhenAny(attached.Task, Task.Delay(TimeSpan.FromSeconds(3), ct));
            await Task.Delay(300, ct); // every thread attached
            if (strace.HasExited) throw new InvalidOperationException($"strace exited: {string.Join(" / ", straceErr)}");

            // The recording's size steps (5 ms polls) tell how many bytes each fsync made durable.
            var rec = await StartRecordingAsync(service, standIn, device, ct);
            var segment = Path.Combine(service.Config.RecordingsPath, rec.FirstFile);
            var end = rec.FirstFileAt + (long)(FsyncRecordSeconds * Stopwatch.Frequency);
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end), ct);
            var stopSent = Stopwatch.GetTimestamp();
            var stop = await CallAsync(service.Client, "stop_recording", device, StopTimeout, ct);
            ForgetPhantomReader(standIn, device);
            if (!stop.Ok) report.Observe(Name, $"{label}: stop_recording: {stop.Error}");
            await Task.Delay(100, ct);
            var finalSize = new FileInfo(segment).Length;
            var sizes = await rec.StopWatchingAsync(stopSent);
            await Task.Delay(1000, ct);
            Signals.Send(strace.Id, Signals.Interrupt); // detaches; the service goes on
            using (var bound = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                bound.CancelAfter(TimeSpan.FromSeconds(10));
                await strace.WaitForExitAsync(bound.Token);
            }

            var calls = ParseStrace(File.ReadAllLines(output));
            var recordings = service.Config.RecordingsPath.TrimEnd('/');
            var onSegment = calls.Where(c => c.Path == segment).ToList();
            var onDirectory = calls.Where(c => c.Path.TrimEnd('/') == recordings).ToList();
            var other = calls.Except(onSegment).Except(onDirectory).ToList();
            report.Add(Name, $"{label}: fsync calls on the segment / on the recordings directory / elsewhere",
                $"{onSegment.Count} / {onDirectory.Count} / {other.Count}" + (other.Count > 0 ? $" ({string.Join(", ", other.GroupBy(c => TempName().Replace(Path.GetFileName(c.Path), ".TMP")).Select(g => $"{g.Key} ×{g.Count()}"))})" : ""));
            var times = onSegment.Select(c => ToTimestamp(c.UnixSeconds)).ToList();
            var gaps = times.Zip(times.Skip(1), (x, y) => Stopwatch.GetElapsedTime(x, y).TotalSeconds).ToList();
            if (gaps.Count > 0)
                report.Add(Name, $"{label}: seconds between segment fsyncs, median / min / max", $"{Median(gaps):0.00} / {gaps.Min():0.00} / {gaps.Max():0.00}");
            var bytes = new List<long>();
            long previous = 0;
            foreach (var t in times)
            {
                var size = t > stopSent ? finalSize : sizes.LastOrDefault(s => s.At <= t).Size; // the last one runs after FFmpeg wrote its trailer
                bytes.Add(Math.Max(0, size - previous));
                previous = Math.Max(previous, size);
            }
            report.Add(Name, $"{label}: bytes synced in total / per segment fsync, median / max",
                $"{Report.MiB(bytes.Sum())} of a {Report.MiB(finalSize)} file / {Report.KiB(Median(bytes.Select(b => (double)b).ToList()))} / {Report.KiB(bytes.DefaultIfEmpty(0).Max())}");
            var durations = calls.Where(c => c.Seconds is not null).Select(c => c.Seconds!.Value * 1000).ToList();
            if (durations.Count > 0)
                report.Add(Name, $"{label}: time inside fsync (strace -T, this VM's virtio disk, not an SD card), median / max", $"{Report.Ms(Median(durations))} / {Report.Ms(durations.Max())}");
            var probe = await FfprobeAsync(segment, ct);
            report.Add(Name, $"{label}: the file", $"{probe.Decoded:0.00} s decoded ({probe.Frames} frames), ffprobe error lines: {probe.Errors.Count}");
        }
        finally
        {
            if (!strace.HasExited) { try { strace.Kill(); } catch (InvalidOperationException) { } }
        }
    }

    private sealed record StraceCall(double UnixSeconds, string Path, double? Seconds);

    private static List<StraceCall> ParseStrace(IEnumerable<string> lines)
    {
        // "1234 1733940000.123456 fsync(45</tmp/x/recordings/virtual3_….mp4>) = 0 <0.001234>", or split by
        // another thread's call: "… fsync(45</…> <unfinished ...>" then "1234 … <... fsync resumed>) = 0 <0.0012>".
        var calls = new List<StraceCall>();
        var open = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var m = StraceCallLine().Match(line);
            if (m.Success)
            {
                var t = double.Parse(m.Groups["t"].Value, CultureInfo.InvariantCulture);
                double? secs = m.Groups["d"].Success ? double.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture) : null;
                calls.Add(new StraceCall(t, m.Groups["path"].Value, secs));
                if (line.Contains("<unfinished", StringComparison.Ordinal)) open[m.Groups["pid"].Value] = calls.Count - 1;
                continue;
            }
            var r = StraceResumedLine().Match(line);
            if (r.Success && open.Remove(r.Groups["pid"].Value, out var index))
                calls[index] = calls[index] with { Seconds = double.Parse(r.Groups["d"].Value, CultureInfo.InvariantCulture) };
        }
        return calls;
    }

    [GeneratedRegex(@"^(?<pid>\d+)\s+(?<t>\d+\.\d+)\s+f(?:data)?sync\(\d+<(?<path>[^>]*)>(?:\)\s*=\s*-?\d+.*?<(?<d>\d+\.\d+)>)?")]
    private static partial Regex StraceCallLine();

    [GeneratedRegex(@"^(?<pid>\d+)\s+\d+\.\d+\s+<\.\.\. f(?:data)?sync resumed>.*<(?<d>\d+\.\d+)>\s*$")]
    private static partial Regex StraceResumedLine();

    // ---- recordings -------------------------------------------------------------------------

    private sealed class Recording(string device, string sessionId, string directory, string firstFile, long firstFileAt, HashSet<string> before, double preFault)
    {
        private readonly CancellationTokenSource _stopWatching = new();
        private readonly List<(long At, long Size)> _sizes = [];
        private Task? _watcher;

        public string Device { get; } = device;
        public string SessionId { get; } = sessionId;
        public string FirstFile { get; } = firstFile;
        /// <summary>When the client first saw the first file (Stopwatch).</summary>
        public long FirstFileAt { get; } = firstFileAt;
        public double PreFault { get; } = preFault;

        /// <summary>This recording's files: the camera's segments that were not there before it started.</summary>
        public List<string> NewFiles(string dir) =>
            [.. Directory.GetFiles(dir, Device + "_*.mp4").Where(f => !before.Contains(Path.GetFileName(f))).Order(StringComparer.Ordinal)];

        /// <summary>Watches the first file's size every 5 ms: with flush_packets each fragment lands in one go,
        /// when the keyframe after it arrives, so the size steps tell when each keyframe reached the recorder.</summary>
        public void Watch()
        {
            var path = Path.Combine(directory, FirstFile);
            _watcher = Task.Run(async () =>
            {
                long last = -1;
                // Bounded: 5 minutes of 5 ms polls at most.
                for (var i = 0; i < 60_000 && !_stopWatching.IsCancellationRequested; i++)
                {
                    long size;
                    try { size = new FileInfo(path).Length; }
                    catch (IOException) { size = last; }
                    if (size != last)
                    {
                        lock (_sizes) _sizes.Add((Stopwatch.GetTimestamp(), size));
                        last = size;
                    }
                    try { await Task.Delay(5, _stopWatching.Token); } catch (OperationCanceledException) { break; }
                }
            }, CancellationToken.None);
        }

        /// <summary>Stops the watch; returns the size changes seen before <paramref name="until"/>.</summary>
        public async Task<List<(long At, long Size)>> StopWatchingAsync(long until)
        {
            await _stopWatching.CancelAsync();
            if (_watcher is not null) await _watcher;
            lock (_sizes) return [.. _sizes.Where(s => s.At <= until)];
        }
    }

    private async Task<Recording> StartRecordingAsync(Instance service, MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        var dir = service.Config.RecordingsPath;
        var before = Directory.GetFiles(dir, device + "_*").Select(f => Path.GetFileName(f)!).ToHashSet(StringComparer.Ordinal);
        using var stopPoll = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The moment the first file appears stands for the recording's first frame: the recorder's
        // short probe (32 KiB) ends on the first keyframe, and the file is created right after it.
        var poll = Task.Run(async () =>
        {
            for (var i = 0; i < (int)(StartTimeout.TotalMilliseconds / 5) && !stopPoll.IsCancellationRequested; i++)
            {
                var found = Directory.GetFiles(dir, device + "_*.mp4").Select(f => Path.GetFileName(f)!).Where(f => !before.Contains(f)).Order(StringComparer.Ordinal).FirstOrDefault();
                if (found is not null) return (found, Stopwatch.GetTimestamp());
                try { await Task.Delay(5, stopPoll.Token); } catch (OperationCanceledException) { break; }
            }
            return ((string?)null, 0L);
        }, CancellationToken.None);
        var reply = await service.Client.CallAsync("start_recording", json => json.WriteString("device"u8, device), wantDocument: true, StartTimeout, ct);
        string session;
        using (var document = reply.Document)
        {
            if (reply.IsError)
            {
                await stopPoll.CancelAsync();
                throw new InvalidOperationException($"start_recording {device}: error {reply.ErrorCode} {reply.ErrorMessage}");
            }
            session = document!.RootElement.GetProperty("result").GetProperty("session_id").GetString() ?? "";
        }
        var (file, at) = await poll.WaitAsync(TimeSpan.FromSeconds(5), ct);
        if (file is null) throw new InvalidOperationException($"start_recording {device} answered but no new file appeared in {dir}");
        var rec = new Recording(device, session, dir, file, at, before, PreFaultSeconds + _random.NextDouble() * PreFaultJitterSeconds);
        rec.Watch();
        await RepairLostReaderAsync(standIn, device, ct);
        return rec;
    }

    private static async Task WaitPreFaultAsync(Recording rec, CancellationToken ct)
    {
        var due = rec.FirstFileAt + (long)(rec.PreFault * Stopwatch.Frequency);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, ct);
    }

    private static async Task TryStopAsync(Instance service, string device, CancellationToken ct)
    {
        var stop = await CallAsync(service.Client, "stop_recording", device, StopTimeout, ct);
        _ = stop; // -32602 when the recording has already ended: nothing to do
    }

    private static ProcInfo? FindRecorder(Instance service, string device) =>
        ProcessTree.Descendants(service.Process.Pid).FirstOrDefault(p => p.Comm == "ffmpeg"
            && p.CommandLine.Contains("-f segment", StringComparison.Ordinal) && p.CommandLine.Contains($"/{device}_", StringComparison.Ordinal));

    /// <summary>
    /// Expected media time (media time zero of the first file → <paramref name="end"/>) against what ffprobe decodes
    /// of <paramref name="files"/>. <paramref name="fault"/> is when the fault was applied (size steps after it are not used);
    /// <paramref name="end"/> is when video should stop being in the file (the fault, or a clean stop's notification).
    /// </summary>
    private static async Task<FaultSample> MeasureAsync(Recording rec, long fault, long end, Note? note, List<string> files, string directory, CancellationToken ct)
    {
        var steps = await rec.StopWatchingAsync(fault);
        var (zero, used) = await MediaZeroAsync(Path.Combine(directory, rec.FirstFile), steps, ct);
        // How the fragments landed: the longest wait between two (a stream that froze) and the last one before the fault.
        var gaps = steps.Zip(steps.Skip(1), (x, y) => Stopwatch.GetElapsedTime(x.At, y.At).TotalSeconds).ToList();
        var anchored = zero is not null;
        var expected = Stopwatch.GetElapsedTime(zero ?? rec.FirstFileAt, end).TotalSeconds;
        var probes = new List<Probe>();
        foreach (var f in files) probes.Add(await FfprobeAsync(f, ct));
        var decoded = probes.Sum(p => p.Decoded);
        var extra = (anchored ? "" : "media time zero not found: anchored on the file's appearance; ")
            + (files.Count > 1 ? $"files {string.Join(", ", files.Zip(probes, (f, p) => $"{Path.GetFileName(f)} {p.Frames} frames"))}; " : "");
        return new FaultSample(
            note is null ? null : Stopwatch.GetElapsedTime(fault, note.At).TotalMilliseconds,
            note?.Status, note?.Reason, note?.Restarting ?? false,
            expected, decoded, probes.Sum(p => p.Frames), probes.Sum(p => p.ContainerDuration ?? 0),
            files.Count, probes.Count(p => p.Errors.Count > 0), probes.SelectMany(p => p.Errors).FirstOrDefault(), null, extra.TrimEnd(' ', ';'))
        {
            StartLagMs = zero is { } z ? Stopwatch.GetElapsedTime(z, rec.FirstFileAt).TotalMilliseconds : double.NaN,
            AnchorSteps = used,
            MaxStepGap = gaps.DefaultIfEmpty(double.NaN).Max(),
            LastStepAgo = steps.Count > 0 ? Stopwatch.GetElapsedTime(steps[^1].At, fault).TotalSeconds : double.NaN,
        };
    }

    /// <summary>
    /// The wall-clock instant (Stopwatch) of the first file's media time zero. Each size step of the file is one
    /// fragment landing (flush_packets), when the keyframe after it arrived, whose pts is where the fragment's media
    /// ends: so step time − media end is media time zero, once per fragment. The median of those is robust to a
    /// step split over two polls. Null when no fragment was seen.
    /// </summary>
    private static async Task<(long? Zero, int Used)> MediaZeroAsync(string file, List<(long At, long Size)> steps, CancellationToken ct)
    {
        var packets = await PacketsAsync(file, ct);
        if (packets.Count == 0 || steps.Count == 0) return (null, 0);
        // A fragment can land in more than one write: a step is the first change and the size it settles at within 30 ms.
        var settled = new List<(long At, long Size)>();
        foreach (var s in steps)
        {
            if (settled.Count > 0 && Stopwatch.GetElapsedTime(settled[^1].At, s.At) < TimeSpan.FromMilliseconds(30)) settled[^1] = (settled[^1].At, s.Size);
            else settled.Add(s);
        }
        var zeros = new List<double>();
        foreach (var (at, size) in settled)
        {
            // Counted in frames (30 fps), as the decoded duration is: the first packets' timestamps can be
            // uneven (the RTSP demuxer re-bases them on the first RTCP sender report).
            var complete = packets.Count(p => p.End <= size);
            if (complete == 0) continue; // the header alone
            var mediaEnd = complete / Probe.Fps;
            zeros.Add(at - mediaEnd * Stopwatch.Frequency);
        }
        return zeros.Count == 0 ? (null, 0) : ((long)Median(zeros), zeros.Count);
    }

    /// <summary>A video packet (one frame) of the file: where its bytes end.</summary>
    private readonly record struct Packet(long End);

    private static async Task<List<Packet>> PacketsAsync(string file, CancellationToken ct)
    {
        var info = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size", "-of", "csv=p=0", file })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffprobe");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
            _ = process.StandardError.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            var packets = new List<Packet>();
            foreach (var line in (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // "size,pos" (ffprobe prints a section's fields in its own order)
                var f = line.Split(',');
                if (f.Length >= 2 && long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                    && long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pos))
                    packets.Add(new Packet(pos + size));
            }
            return packets;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return [];
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private sealed record FaultSample(double? NoticeMs, string? Status, string? Reason, bool Restarting, double Expected, double Decoded, int Frames,
        double Container, int Files, int ErrorFiles, string? FirstError, double? SecondMs, string Extra)
    {
        public double Lost => Expected - Decoded;
        /// <summary>Media time zero → the client saw the first file (the recorder's probe and file creation).</summary>
        public double StartLagMs { get; init; } = double.NaN;
        /// <summary>Fragments whose landing gave media time zero.</summary>
        public int AnchorSteps { get; init; }
        /// <summary>The longest time between two size steps of the file (0.5 s = one GOP when the stream flows evenly).</summary>
        public double MaxStepGap { get; init; } = double.NaN;
        /// <summary>Seconds from the last size step before the fault to the fault.</summary>
        public double LastStepAgo { get; init; } = double.NaN;
    }

    /// <summary>Decoded duration: frames ffprobe decoded at the cameras' 30 fps (every virtual camera is constant 30 fps;
    /// ffprobe's r_frame_rate is a guess from the first timestamps, which the RTSP demuxer re-bases, and reads 42/1 or 30000/1001 at times).</summary>
    private sealed record Probe(int Frames, double? ContainerDuration, List<string> Errors)
    {
        public const double Fps = 30;
        public double Decoded => Frames / Fps;
    }

    /// <summary>ffprobe -v error -count_frames: decodes every frame; any line on stderr is an error.</summary>
    private static async Task<Probe> FfprobeAsync(string file, CancellationToken ct)
    {
        var info = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames:format=duration", "-of", "json", file })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffprobe");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
            var stderr = process.StandardError.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            var errors = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => $"{Path.GetFileName(file)}: {l}").ToList();
            if (process.ExitCode != 0) return new Probe(0, null, [.. errors, $"{Path.GetFileName(file)}: ffprobe exit {process.ExitCode}"]);
            using var doc = JsonDocument.Parse(await stdout);
            var streams = doc.RootElement.GetProperty("streams");
            if (streams.GetArrayLength() == 0) return new Probe(0, null, [.. errors, $"{Path.GetFileName(file)}: no video stream"]);
            var s = streams[0];
            var frames = s.TryGetProperty("nb_read_frames", out var nf) && int.TryParse(nf.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dv) ? dv : null;
            return new Probe(frames, duration, errors);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Probe(0, null, [$"{Path.GetFileName(file)}: ffprobe took longer than 60 s"]);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    // ---- the report -------------------------------------------------------------------------

    private async Task PhaseAsync(Report report, string fault, int samples, Func<int, Task<FaultSample>> run, CancellationToken ct)
    {
        Console.Error.WriteLine($"  faults: {fault}");
        var list = new List<FaultSample>();
        _results.Add((fault, list));
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var s = await run(i);
                list.Add(s);
                Console.Error.WriteLine($"    {i + 1}: {s.Status} {s.Reason} after {Report.Ms(s.NoticeMs ?? double.NaN)}; lost {s.Lost:0.000} s (expected {s.Expected:0.000}, decoded {s.Decoded:0.000} = {s.Frames} frames in {s.Files} file(s), container {s.Container:0.000}; media zero {s.StartLagMs:0} ms before the file appeared, from {s.AnchorSteps} fragments; longest gap between fragments {s.MaxStepGap:0.00} s, last one {s.LastStepAgo:0.00} s before the fault); error lines in {s.ErrorFiles} file(s){(s.Extra.Length > 0 ? "; " + s.Extra : "")} [{Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s]");
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                report.Fail(Name, $"{fault}, sample {i + 1}: {ex.GetType().Name}: {ex.Message}");
                Console.Error.WriteLine($"    {i + 1} FAILED: {ex}");
            }
        }
    }

    private void ReportResults(Report report)
    {
        foreach (var (fault, samples) in _results)
        {
            if (samples.Count == 0) continue;
            var notices = samples.Where(s => s.NoticeMs is not null).Select(s => s.NoticeMs!.Value).ToList();
            var restart = fault.StartsWith("power cut", StringComparison.Ordinal) || fault.StartsWith("service SIGKILL", StringComparison.Ordinal);
            var what = fault.StartsWith("power cut", StringComparison.Ordinal) ? "restarted service: spawn → READY"
                : fault.StartsWith("service SIGKILL", StringComparison.Ordinal) ? "restarted service (0.5 s after the kill): spawn → READY, the leftover FFmpeg stopped first"
                : fault.StartsWith("disk full", StringComparison.Ordinal) ? "free space under min_free_mb → notification" : "fault → notification (subscribed client)";
            report.Add(Name, $"{fault}: {what}, median / max of {samples.Count}",
                notices.Count == 0 ? "none" : $"{Report.Ms(Median(notices))} / {Report.Ms(notices.Max())}" + (notices.Count < samples.Count ? $" ({samples.Count - notices.Count} never came)" : ""));
            if (!restart)
                report.Add(Name, $"{fault}: status, reason", string.Join(", ", samples.GroupBy(s => $"{s.Status ?? "no notification"} {s.Reason}{(s.Restarting ? " (restarting)" : "")}".Trim()).Select(g => $"{g.Key} ×{g.Count()}")));
            var seconds = samples.Where(s => s.SecondMs is not null).Select(s => s.SecondMs!.Value).ToList();
            if (seconds.Count > 0)
            {
                var second = fault.StartsWith("power cut", StringComparison.Ordinal) ? "READY → the killed recording's file listed by list_recordings (with its duration)"
                    : fault.StartsWith("service SIGKILL", StringComparison.Ordinal) ? "kill → the orphaned recorder FFmpeg gone" : "stand-in back → STARTED resumed";
                report.Add(Name, $"{fault}: {second}, median / max", $"{Report.Ms(Median(seconds))} / {Report.Ms(seconds.Max())}");
            }
            var lags = samples.Select(s => s.StartLagMs).Where(l => !double.IsNaN(l)).ToList();
            if (lags.Count > 0)
                report.Add(Name, $"{fault}: media time zero (from the fragments' landing times) → first file seen, median / max", $"{Report.Ms(Median(lags))} / {Report.Ms(lags.Max())}");
            var lost = samples.Select(s => s.Lost).ToList();
            report.Add(Name, $"{fault}: video lost (expected − decoded), median / max", $"{Seconds(Median(lost))} / {Seconds(lost.Max())}");
            report.Add(Name, $"{fault}: files with ffprobe error lines", $"{samples.Sum(s => s.ErrorFiles)} of {samples.Sum(s => s.Files)}" + (samples.FirstOrDefault(s => s.FirstError is not null)?.FirstError is { } e ? $"; first: {e}" : ""));
            report.Add(Name, $"{fault}: each sample", string.Join("; ", samples.Select(s =>
                $"{(s.NoticeMs is { } ms ? Report.Ms(ms) : "-")}, lost {Seconds(s.Lost)} ({s.Frames} frames = {s.Decoded:0.00} s of {s.Expected:0.00} s; fragments landed up to {s.MaxStepGap:0.00} s apart, the last {s.LastStepAgo:0.00} s before the end)"
                + (s.Extra.Length > 0 ? $", {s.Extra}" : ""))));
        }
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : b.Length == 0 ? a : a + "; " + b;

    private static string Seconds(double s) => s.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static double Median(List<double> values)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private long ToTimestamp(double unixSeconds) => _anchorTimestamp + (long)((unixSeconds - _anchorUnixSeconds) * Stopwatch.Frequency);

    // ---- service instances ------------------------------------------------------------------

    private async Task<Instance> StartInstanceAsync(Options options, string label, MediaMtxStandIn standIn, int stallTimeout, string recordingToml, string storageToml,
        Func<ServiceConfig, Task>? beforeLaunch, CancellationToken ct)
    {
        Console.Error.WriteLine($"  faults: service instance ({label})");
        var config = await ServiceConfig.CreateAsync(options.Binary, ct, extraToml: Toml(standIn.ApiPort, standIn.RtspPort, stallTimeout),
            logLevel: "warning", recordingToml: recordingToml, storageToml: storageToml);
        var instance = new Instance(config, _serviceProblems);
        try
        {
            if (beforeLaunch is not null) await beforeLaunch(config);
            await instance.LaunchAsync(ct);
            await WaitConfiguredAsync(standIn, ct);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    private static async Task WaitConfiguredAsync(MediaMtxStandIn standIn, CancellationToken ct)
    {
        if (!await WaitUntilAsync(() => Devices.All(d => standIn.GetPathConf(d) is not null), TimeSpan.FromSeconds(30), ct))
            throw new TimeoutException($"the service did not configure paths {string.Join(", ", Devices)} in the stand-in within 30 s");
        await Task.Delay(Reconcile, ct);
    }

    private static string Toml(int apiPort, int rtspPort, int stallTimeout)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            [mediamtx]
            host = "127.0.0.1"
            api_port = {apiPort}
            rtsp_port = {rtspPort}
            request_timeout = 2
            # Short, so the paths exist within a second of READY=1 (and of the stand-in's restart).
            health_check_interval = 1

            [ffmpeg]
            max_concurrent = 8
            stall_timeout = {stallTimeout}

            """);
        for (var i = 0; i < CameraCount; i++)
            sb.Append(CultureInfo.InvariantCulture, $"""

                [[camera.virtual]]
                name = "Fault {i}"
                resolution = "1280x720"
                fps = 30
                pattern = "testsrc2"

                """);
        return sb.ToString();
    }

    /// <summary>One service instance with a subscribed client; it can be killed and started again on the same config and files.</summary>
    private sealed class Instance(ServiceConfig config, ConcurrentQueue<string> problems) : IAsyncDisposable
    {
        private ServiceProcess? _process;
        private RpcClient? _client;

        public ServiceConfig Config { get; } = config;
        public ServiceProcess Process => _process ?? throw new InvalidOperationException("not launched");
        public RpcClient Client => _client ?? throw new InvalidOperationException("not connected");
        public NoteLog Notes { get; } = new();

        private readonly ConcurrentQueue<(long At, string Line)> _lines = new();

        private void OnLine(string line)
        {
            if (!line.Contains(" warn: ", StringComparison.Ordinal) && !line.Contains(" fail: ", StringComparison.Ordinal) && !line.Contains(" crit: ", StringComparison.Ordinal)) return;
            if (problems.Count < 500) problems.Enqueue(line);
            if (_lines.Count < 500) _lines.Enqueue((Stopwatch.GetTimestamp(), line));
        }

        /// <summary>When the first warning (or worse) containing <paramref name="text"/> arrived since <paramref name="since"/>.</summary>
        public long? LineSeen(string text, long since) =>
            _lines.Where(l => l.At >= since && l.Line.Contains(text, StringComparison.Ordinal)).Select(l => (long?)l.At).FirstOrDefault();

        /// <summary>Starts the binary, waits for READY=1, connects, authenticates and subscribes; returns spawn → READY.</summary>
        public async Task<TimeSpan> LaunchAsync(CancellationToken ct)
        {
            _process = ServiceProcess.Start(Config);
            _process.LineReceived += OnLine;
            var ready = await _process.WaitReadyAsync(RunningService.ReadyTimeout, ct);
            _client = await RpcClient.ConnectAsync(Config.WebSocketUri, CallTimeout, ct);
            await Client.AuthenticateAsync(Config.AdminToken, CallTimeout, ct);
            Client.OnNotification = Notes.OnNotification;
            var reply = await Client.CallAsync("subscribe_events", json =>
            {
                json.WriteStartArray("topics"u8);
                json.WriteStringValue("recording_status_update"u8);
                json.WriteEndArray();
            }, wantDocument: false, CallTimeout, ct);
            if (reply.IsError) throw new InvalidOperationException($"subscribe_events: error {reply.ErrorCode} {reply.ErrorMessage}");
            return ready;
        }

        /// <summary>After the process died: the same config, directories and files, a new process.</summary>
        public async Task<TimeSpan> RelaunchAsync(CancellationToken ct)
        {
            await DropAsync();
            return await LaunchAsync(ct);
        }

        /// <summary>SIGTERM and a bounded wait (the service stops cleanly before the next instance starts).</summary>
        public async Task StopAsync(CancellationToken ct)
        {
            if (_client is { } client) { _client = null; await client.DisposeAsync(); }
            if (_process is { } process) await process.TerminateAsync(TimeSpan.FromSeconds(30), ct);
        }

        private async Task DropAsync()
        {
            if (_client is { } client)
            {
                _client = null;
                client.Abort();
                await client.DisposeAsync();
            }
            if (_process is { } process)
            {
                _process = null;
                process.LineReceived -= OnLine;
                process.Dispose(); // kills whatever is left
            }
        }

        public async ValueTask DisposeAsync()
        {
            await DropAsync();
            Config.Dispose();
        }
    }

    /// <summary>One recording_status_update as the subscribed client got it.</summary>
    private sealed record Note(long At, string Status, string? RecordingId, string? Reason, string? Error, bool Restarting, bool Resumed, string? Segment);

    private sealed class NoteLog
    {
        private readonly ConcurrentQueue<Note> _notes = new();

        // On the client's read loop.
        public void OnNotification(ReadOnlySpan<byte> message, long receivedAt)
        {
            if (message.IndexOf("\"recording_status_update\""u8) < 0) return;
            try
            {
                using var doc = JsonDocument.Parse(message.ToArray());
                var p = doc.RootElement.GetProperty("params");
                string? S(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                bool B(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
                _notes.Enqueue(new Note(receivedAt, S("status") ?? "", S("recording_id"), S("reason"), S("error"), B("restarting"), B("resumed"), S("segment")));
            }
            catch (JsonException) { }
        }

        public Note? Find(Func<Note, bool> match, long since = 0) => _notes.FirstOrDefault(n => n.At >= since && match(n));

        public async Task<Note?> WaitAsync(Func<Note, bool> match, long since, TimeSpan timeout, CancellationToken ct)
        {
            Note? found = null;
            await WaitUntilAsync(() => (found = Find(match, since)) is not null, timeout, ct, 5);
            return found;
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private readonly record struct CallResult(bool Ok, double Ms, string? Error);

    private static async Task<CallResult> CallAsync(RpcClient client, string method, string device, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var reply = await client.CallAsync(method, json => json.WriteString("device"u8, device), wantDocument: false, timeout, ct);
            return new CallResult(!reply.IsError, reply.Latency.TotalMilliseconds, reply.IsError ? $"{method}: error {reply.ErrorCode} {reply.ErrorMessage}" : null);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            return new CallResult(false, double.NaN, $"{method}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static async Task<JsonDocument?> ListRecordingsAsync(RpcClient client, CancellationToken ct)
    {
        try
        {
            var reply = await client.CallAsync("list_recordings", json => json.WriteNumber("limit"u8, 1000), wantDocument: true, CallTimeout, ct);
            if (!reply.IsError) return reply.Document;
            reply.Document?.Dispose();
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException) { }
        return null;
    }

    private static async Task GrowAsync(string path, long bytes, CancellationToken ct)
    {
        var chunk = new byte[1024 * 1024];
        await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        for (var left = bytes; left > 0; left -= chunk.Length)
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), ct);
    }

    private static async Task RunAsync(string program, string[] args, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        var stderr = process.StandardError.ReadToEndAsync(bound.Token);
        await process.WaitForExitAsync(bound.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {process.ExitCode}: {(await stderr).Trim()}");
    }

    /// <summary>The stand-in can lose count of a recording's reader (see <see cref="MediaScenario"/>): count it by hand until the recording ends.</summary>
    private async Task RepairLostReaderAsync(MediaMtxStandIn standIn, string device, CancellationToken ct)
    {
        await Task.Delay(300, ct);
        OnDemandStatus? status;
        try { status = standIn.GetOnDemandStatus(device); }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or ArgumentException) { return; }
        if (status.Phase != OnDemandPhase.Closing || _phantomReaders.ContainsKey(device)) return;
        _phantomReaders[device] = standIn.SimulateReader(device);
        _repairs.Add(device);
        Console.Error.WriteLine($"    (stand-in lost count of the reader on {device}: one added by hand, see MediaScenario.RepairLostReaderAsync)");
    }

    private void ForgetPhantomReader(MediaMtxStandIn standIn, string device)
    {
        if (!_phantomReaders.Remove(device, out var id)) return;
        try { standIn.SimulateReaderGone(device, id); }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or ArgumentException) { }
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct, int pollMs = 20)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < timeout.TotalMilliseconds / pollMs + 2; i++)
        {
            if (condition()) return true;
            if (Stopwatch.GetTimestamp() >= deadline) break;
            await Task.Delay(pollMs, ct);
        }
        return condition();
    }

    /// <summary>No such process, or a zombie (dead, its parent has not reaped it yet).</summary>
    private static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is 'Z' or 'X';
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException) { return true; }
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} ")]
    private static partial Regex TimeStamp();

    private static string Normalize(string line)
    {
        line = TimeStamp().Replace(line, "");
        line = Pid().Replace(line, "pid N");
        line = GuidText().Replace(line, "ID");
        line = FileDate().Replace(line, "_DATE");
        line = IsoTime().Replace(line, "TIME");
        line = SecondsText().Replace(line, "N s");
        return Port().Replace(line, "127.0.0.1:PORT");
    }

    [GeneratedRegex(@"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex GuidText();

    [GeneratedRegex(@"_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d")]
    private static partial Regex FileDate();

    [GeneratedRegex(@"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z")]
    private static partial Regex IsoTime();

    [GeneratedRegex(@"\b\d+(\.\d+)? s\b")]
    private static partial Regex SecondsText();

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();

    // AtomicFile's temporary names: ".ffmpeg-children.json.1234.<32 hex>.tmp".
    [GeneratedRegex(@"\.\d+\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TempName();

    [GeneratedRegex(@"pid \d+")]
    private static partial Regex Pid();
}
