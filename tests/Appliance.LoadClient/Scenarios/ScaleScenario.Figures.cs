using System.Globalization;
using System.Text.Json;
using Appliance.LoadClient.Scenarios.Scale;

namespace Appliance.LoadClient.Scenarios;

// The scale scenario's figures and checks, from what the run collected.
public sealed partial class ScaleScenario
{
    private const double CallP99TargetMs = 50;
    private const double SnapshotP99TargetMs = 1000;
    private const double DurationTolerance = 1.0;

    private void ReportStarts(Started[] starts, string[] devices, Report report)
    {
        var ok = starts.Where(s => s.Ok).Select(s => s.Ms).ToList();
        report.Add(Name, $"{devices.Length} start_recording at once (publishers already up), until the reply: p50 / p99 / max of {ok.Count} started", Triple(ok));
        var failed = starts.Where(s => !s.Ok).ToList();
        if (failed.Count == 0) return;
        report.Fail(Name, $"{failed.Count} of {starts.Length} start_recording failed; first, after {Report.Ms(failed[0].Ms)}: {failed[0].Error}");
    }

    private void ReportPolls(StatusPoller[] pollers, Report report)
    {
        for (var m = 0; m < StatusPoller.Methods.Length; m++)
        {
            var method = StatusPoller.Methods[m];
            var s = LatencyRecorder.Summarize(pollers.Select(p => p.Latencies[m]));
            var target = method == "ping" ? "" : s.Percentile(99) < CallP99TargetMs ? $" — p99 target < {CallP99TargetMs:0} ms met" : $" — p99 target < {CallP99TargetMs:0} ms MISSED";
            report.Add(Name, $"{method} ({Pollers} pollers, one round every {StatusPoller.Period.TotalMilliseconds:0} ms each), p50 / p99 / max of {Report.Number(s.Count)}",
                $"{Report.Ms(s.Percentile(50))} / {Report.Ms(s.Percentile(99))} / {Report.Ms(s.Max)}{target}");
        }
        var (slow, windows) = LatencyRecorder.SlowReplies(pollers.SelectMany(p => p.Latencies));
        report.Add(Name, "poll replies slower than 10 ms / distinct 100 ms windows they were sent in; poll rounds skipped (the previous one ran past their time)",
            $"{slow} / {windows}; {pollers.Sum(p => p.Skipped)}");
        var errors = pollers.Sum(p => p.Errors);
        if (errors > 0) report.Fail(Name, $"{errors} poll call(s) failed; first: {pollers.First(p => p.FirstError is not null).FirstError}");
    }

    private void ReportSnapshots(SnapshotLoop[] loops, ServiceLogLines log, ProcessSampler sampler, string rtspUrl, Report report)
    {
        var service = loops.SelectMany(l => l.Service).ToList();
        var bare = loops.SelectMany(l => l.Bare).ToList();
        var ok = service.Where(s => s.Ok).Select(s => s.Ms).ToList();
        var p99 = Percentile(ok, 99);
        report.Add(Name, $"take_snapshot via the service (every {SnapshotLoop.Period.TotalSeconds:0} s per camera), p50 / p99 / max of {ok.Count}",
            $"{Triple(ok)} — p99 target < {SnapshotP99TargetMs:0} ms {(p99 < SnapshotP99TargetMs ? "met" : "MISSED")}");
        report.Add(Name, "snapshot rounds skipped because the camera's previous snapshot or bare read was still running", $"{loops.Sum(l => l.Skipped)} of {loops.Sum(l => l.Skipped) + service.Count}");
        var bareOk = bare.Where(s => s.Ok).Select(s => s.Ms).ToList();
        report.Add(Name, $"bare FFmpeg read of the same stream with the service's arguments ({SnapshotLoop.Period.TotalSeconds / 2:0} s after each take_snapshot was sent), p50 / p99 / max of {bareOk.Count}", Triple(bareOk));

        // Each snapshot against the bare read half a period later on the same camera (same GOP phase).
        var pairs = service.Join(bare, s => (s.Camera, s.Round), b => (b.Camera, b.Round), (s, b) => (s, b)).Where(p => p.s.Ok && p.b.Ok).Select(p => p.s.Ms - p.b.Ms).ToList();
        if (pairs.Count > 0)
        {
            var slower = pairs.Count(d => d > 0);
            report.Add(Name, $"take_snapshot minus its bare read (same camera, same GOP phase), p50 / p99 of {pairs.Count} pairs; pairs where the service was slower",
                $"{Report.Ms(Percentile(pairs, 50))} / {Report.Ms(Percentile(pairs, 99))}; {slower} ({((double)slower / pairs.Count).ToString("P0", CultureInfo.InvariantCulture)})");
        }

        var logged = service.Where(s => s.Ok).Select(s => (s, l: log.Snapshot(s.FileName))).Where(p => p.l is not null).ToList();
        if (logged.Count > 0)
        {
            var inputs = string.Join(", ", logged.GroupBy(p => p.l!.Value.Input).Select(g => $"{g.Key} ×{g.Count()}"));
            report.Add(Name, "take_snapshot: input the service logged; its logged time (FFmpeg slot wait + run), p50 / p99",
                $"{inputs}; {Report.Ms(Percentile(logged.Select(p => p.l!.Value.Ms).ToList(), 50))} / {Report.Ms(Percentile(logged.Select(p => p.l!.Value.Ms).ToList(), 99))}");
            var overhead = logged.Select(p => p.s.Ms - p.l!.Value.Ms).ToList();
            report.Add(Name, "take_snapshot latency minus the service's logged time (RPC, \"is it live?\" query, file write), p50 / p99",
                $"{Report.Ms(Percentile(overhead, 50))} / {Report.Ms(Percentile(overhead, 99))}");
            var notStream = logged.Where(p => p.l!.Value.Input != "stream").Select(p => $"{ScaleConfig.Device(p.s.Camera)} round {p.s.Round}").ToList();
            if (notStream.Count > 0) report.Observe(Name, $"snapshots of recording cameras should read the live stream; the service logged {inputs} (not the stream: {string.Join(", ", notStream.Take(10))})");
        }
        else report.Observe(Name, "no snapshot log lines (logging.level info expected)");

        var failed = service.Where(s => !s.Ok).ToList();
        if (failed.Count > 0) report.Fail(Name, $"{failed.Count} of {service.Count} take_snapshot failed; first ({ScaleConfig.Device(failed[0].Camera)}): {failed[0].Error}");
        var bareFailed = bare.Where(s => !s.Ok).ToList();
        if (bareFailed.Count > 0) report.Observe(Name, $"{bareFailed.Count} of {bare.Count} bare FFmpeg reads failed; first: {bareFailed[0].Error}");

        var copied = BareSnapshotRead.Describe(BareSnapshotRead.CopiedArguments(rtspUrl));
        if (sampler.ServiceSnapshotArguments is { } seen)
        {
            var theirs = BareSnapshotRead.Describe(seen);
            report.Add(Name, "bare reads' arguments", theirs == copied
                ? "the service's own, read from /proc/PID/cmdline of its snapshot FFmpeg (equal to the copy of SnapshotArguments.FromStream)"
                : $"the service's own, read from /proc/PID/cmdline of its snapshot FFmpeg: `{theirs}`");
            if (theirs != copied) report.Observe(Name, $"the service's snapshot arguments differ from the load client's copy of SnapshotArguments.FromStream (`{copied}`); the bare reads used the service's");
        }
        else report.Add(Name, "bare reads' arguments", $"the load client's copy of SnapshotArguments.FromStream (no snapshot FFmpeg of the service seen in /proc): `{copied}`");
    }

    private void ReportProcesses(ProcessSampler s, int cameras, string loadavg, Report report)
    {
        var seconds = s.Elapsed.TotalSeconds;
        string Cores(TimeSpan cpu) => ProcessGroup.Cores(cpu.TotalSeconds / seconds);
        report.Add(Name, "measured window (process and machine figures)", $"{seconds:0.0} s, {s.Samples} samples every {ProcessSampler.Period.TotalMilliseconds:0} ms");
        report.Add(Name, "service process: CPU; VmRSS window start / peak / end; Pss peak; at the peak RssAnon / RssFile",
            $"{Cores(s.ServiceCpu)}; {Report.MiB(s.ServiceRssStart)} / {Report.MiB(s.ServiceRssPeak)} / {Report.MiB(s.ServiceRssEnd)}; {Report.MiB(s.ServicePssPeak)}; " +
            $"{Report.MiB(s.ServiceRssPeakSplit.Anon)} / {Report.MiB(s.ServiceRssPeakSplit.File)}");
        double? targetMb = cameras <= 10 ? 80 : cameras <= 16 ? 100 : null;
        if (targetMb is { } t)
        {
            var mb = s.ServiceRssPeak / 1e6;
            report.Add(Name, $"service VmRSS peak against the target for {cameras} cameras (< {t:0} MB, read as 10^6 bytes)",
                $"{mb.ToString("0.0", CultureInfo.InvariantCulture)} MB — {(mb < t ? "met" : "MISSED")}");
        }
        report.Add(Name, "the service's recorders (FFmpeg -c copy, children of the service)", s.Recorders.Summary(seconds) + $"; fewest at once {(s.MinRecordersAtOnce == int.MaxValue ? 0 : s.MinRecordersAtOnce)}");
        report.Add(Name, "the service's snapshot FFmpegs (short-lived, reaped: cutime+cstime); most at once in a sample", $"{Cores(s.ServiceReapedCpu)}; {s.MaxSnapshotFfmpegsAtOnce}");
        report.Add(Name, "bare FFmpeg reads of the load client (reaped: cutime+cstime), same rate as the service's snapshots", Cores(s.OwnReapedCpu));
        report.Add(Name, "stand-in side: publishers (FFmpeg testsrc2 → libx264 → RTSP)", s.Publishers.Summary(seconds));
        report.Add(Name, "stand-in side: GStreamer RTSP relay", s.Relay.Summary(seconds));
        report.Add(Name, "load client process (stand-in API, every connection, /proc sampling)", Cores(s.OwnCpu));
        if (s.MachineStart is { } m0 && s.MachineEnd is { } m1)
        {
            var busy = m1.BusyShareSince(m0);
            report.Add(Name, $"machine busy ({Environment.ProcessorCount} cores); /proc/loadavg and CPU pressure (some avg10) at the end",
                $"{Percent(busy)} = {(busy * Environment.ProcessorCount).ToString("0.00", CultureInfo.InvariantCulture)} cores (softirq {Percent(m1.SoftIrqShareSince(m0))}, steal {Percent(m1.StealShareSince(m0))}); {loadavg}; " +
                (CpuPressure() is { } psi ? psi.ToString("0", CultureInfo.InvariantCulture) + " %" : "no PSI"));
        }
    }

    private void ReportEvents(EventTally[] tallies, List<string> sessions, SnapshotLoop[] loops, JsonDocument m0, JsonDocument m1, long subscriberFrames, long otherFrames, Report report)
    {
        var snapshots = loops.SelectMany(l => l.Service).Where(s => s.Ok).Select(s => EventTally.Snapshot(s.FileName)).ToList();
        var expected = sessions.SelectMany(s => new[] { EventTally.Recording(s, "STARTED"), EventTally.Recording(s, "STOPPED") }).Concat(snapshots).ToHashSet(StringComparer.Ordinal);
        // Only the keys of this run's recordings and snapshots: other events came before some connections had subscribed.
        bool Ours(string key) => key.StartsWith("snap ", StringComparison.Ordinal) || sessions.Any(s => key.Contains(s, StringComparison.Ordinal));
        var sets = tallies.Select(t => t.Keys().Where(Ours).ToHashSet(StringComparer.Ordinal)).ToArray();
        var union = sets.SelectMany(k => k).ToHashSet(StringComparer.Ordinal);
        var progress = union.Count(k => k.StartsWith("progress ", StringComparison.Ordinal));
        var complete = sets.Count(k => k.SetEquals(union) && expected.IsSubsetOf(k));
        report.Add(Name, $"subscribed connections that got every recording and snapshot notification of the run ({sessions.Count * 2} recording status, {snapshots.Count} snapshot_taken, {progress} recording_progress_update)",
            $"{complete} of {tallies.Length}");
        var dropped = Long(m1, "events", "notifications_dropped") - Long(m0, "events", "notifications_dropped");
        var hubDropped = Long(m1, "events", "dropped_at_hub") - Long(m0, "events", "dropped_at_hub");
        var sent = Long(m1, "events", "notifications_sent") - Long(m0, "events", "notifications_sent");
        report.Add(Name, "notifications: sent by the service (get_metrics) / received by all our connections / dropped per client queue / dropped at the hub",
            $"{Report.Number(sent)} / {Report.Number(subscriberFrames + otherFrames)} ({Report.Number(subscriberFrames)} by the {tallies.Length} subscribed) / {dropped} / {hubDropped}");
        if (complete < tallies.Length)
        {
            var worst = sets.Select((k, i) => (i, missing: expected.Count(e => !k.Contains(e)), extra: union.Count - k.Count)).OrderByDescending(w => w.missing + w.extra).First();
            report.Fail(Name, $"{tallies.Length - complete} subscribed connection(s) missed notifications; worst: subscriber {worst.i} lacks {worst.missing} expected and {worst.extra} that others got");
        }
        if (!expected.IsSubsetOf(union)) report.Fail(Name, $"no subscriber got {expected.Count(e => !union.Contains(e))} expected notification(s), e.g. `{expected.First(e => !union.Contains(e))}`");
        if (dropped != 0 || hubDropped != 0) report.Fail(Name, $"the service dropped notifications: {dropped} at client queues, {hubDropped} at the hub");
        var failedRecordings = union.Count(k => k.StartsWith("rec ", StringComparison.Ordinal) && k.EndsWith(" FAILED", StringComparison.Ordinal));
        if (failedRecordings > 0) report.Fail(Name, $"{failedRecordings} recording(s) ended FAILED");
        if (tallies.Sum(t => t.Unparsed) is > 0 and var bad) report.Fail(Name, $"{bad} notification(s) were not valid JSON");
    }

    private void ReportServerSide(JsonDocument m0, JsonDocument metrics, Report report)
    {
        // What the service's RSS is made of, as far as it can tell: the managed heap, allocation rate, GCs, threads.
        var result = metrics.RootElement.GetProperty("result");
        var runtime = result.GetProperty("runtime");
        report.Add(Name, "service at the end (get_metrics): managed heap; allocated since the recordings started; GCs gen0 / gen1 / gen2; threads",
            $"{Report.MiB(runtime.GetProperty("heap_bytes").GetInt64())}; {Report.MiB(Long(metrics, "runtime", "allocated_bytes") - Long(m0, "runtime", "allocated_bytes"))}; " +
            $"{runtime.GetProperty("gen0_collections").GetInt32()} / {runtime.GetProperty("gen1_collections").GetInt32()} / {runtime.GetProperty("gen2_collections").GetInt32()}; {result.GetProperty("threads").GetInt32()}");
        if (!result.TryGetProperty("methods", out var methods)) return;
        var parts = new List<string>();
        foreach (var method in new[] { "get_camera_list", "get_status", "ping", "take_snapshot", "start_recording" })
            if (methods.TryGetProperty(method, out var m) && m.TryGetProperty("average_ms", out var avg))
                parts.Add($"{method} {Report.Ms(avg.GetDouble())}");
        report.Add(Name, "server-side mean handling time (get_metrics, whole run)", string.Join("; ", parts));
    }

    private async Task CheckRecordingsAsync(string directory, Started[] starts, int seconds, Report report, CancellationToken cancellation)
    {
        Console.Error.WriteLine("  scale: ffprobe of every recording");
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToList() : [];
        var probes = new List<ProbedRecording>();
        foreach (var file in files.Take(200)) probes.Add(await MediaFileChecks.ProbeRecordingAsync(file, cancellation));
        var bad = probes.Where(p => p.Error is not null || p.Frames == 0 || p.Duration is not { } d || Math.Abs(d - seconds) > DurationTolerance).ToList();
        var good = probes.Except(bad).ToList();
        if (probes.Count > 0 && probes.Any(p => p.Duration is not null))
        {
            var durations = probes.Where(p => p.Duration is not null).Select(p => p.Duration!.Value).ToList();
            var fps = probes.Where(p => p.Duration > 0).Select(p => p.Frames / p.Duration!.Value).ToList();
            report.Add(Name, $"recordings: files; duration min / max (asked {seconds} s, ±{DurationTolerance:0} s); frames min / max; fps min / max; size total",
                $"{probes.Count}; {durations.Min():0.00} / {durations.Max():0.00} s; {probes.Min(p => p.Frames)} / {probes.Max(p => p.Frames)}; " +
                $"{fps.DefaultIfEmpty(0).Min():0.0} / {fps.DefaultIfEmpty(0).Max():0.0}; {Report.MiB(probes.Sum(p => p.Bytes))}");
        }
        report.Add(Name, "recordings that play for their asked duration (ffprobe -v error silent, -count_frames decodes every frame)", $"{good.Count} of {probes.Count}");
        var expectedFiles = starts.Where(s => s.Ok).Select(s => s.FileName).ToHashSet(StringComparer.Ordinal);
        var missing = expectedFiles.Where(f => probes.All(p => p.File != f)).ToList();
        if (missing.Count > 0) report.Fail(Name, $"{missing.Count} recording file(s) named by start_recording do not exist, e.g. {missing[0]}");
        foreach (var p in bad.Take(10))
            report.Fail(Name, $"recording {p.File} ({Report.MiB(p.Bytes)}): {p.Error ?? (p.Frames == 0 ? "no frames" : $"duration {p.Duration:0.00} s, asked {seconds} s")}");
    }

    private async Task CheckSnapshotsAsync(string directory, SnapshotLoop[] loops, Report report, CancellationToken cancellation)
    {
        Console.Error.WriteLine("  scale: decoding every snapshot");
        var ok = loops.SelectMany(l => l.Service).Count(s => s.Ok);
        var (files, decoded, bad) = await MediaFileChecks.DecodeSnapshotsAsync(directory, cancellation);
        report.Add(Name, "snapshot files that decode (one ffprobe over all: frames decoded = files, -v error silent)", $"{decoded} of {files} (take_snapshot succeeded {ok} times)");
        if (files != ok) report.Fail(Name, $"{files} snapshot file(s) for {ok} successful take_snapshot");
        foreach (var b in bad) report.Fail(Name, $"snapshot does not decode: {b}");
    }
}
