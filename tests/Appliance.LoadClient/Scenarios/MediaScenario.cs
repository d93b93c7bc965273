using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Appliance.Testing.MediaMtx;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// media: snapshots and recordings with real FFmpeg. The MediaMTX stand-in runs in-process with
/// its GStreamer RTSP relay (it starts the service's runOnDemand publishers when a reader asks
/// for a path); the service gets 4 virtual test-pattern cameras (1280x720@30, testsrc2). Measured
/// over JSON-RPC as an admin client:
/// 1. take_snapshot on an idle camera (straight from the test pattern), 20 samples;
/// 2. take_snapshot while that camera records (read from the live RTSP stream), 20 samples;
/// 3. start_recording on an idle camera until the reply (the on-demand publisher starts and
///    the first segment file exists), then stop_recording, 5 samples;
/// 4. all 4 cameras recording for --record-seconds: CPU and VmRSS of the service, its FFmpeg
///    children, the stand-in's publishers and relay, the machine; then every file is ffprobed.
/// The service logs at info level here: its "Snapshot ... from the X ... in N ms" lines give
/// the input used and the FFmpeg time as the service measured it.
/// </summary>
public sealed partial class MediaScenario : IScenario
{
    private const int CameraCount = 4;
    private const int ColdSamples = 20;
    private const int WarmSamples = 20;
    private const int StartSamples = 5;
    private static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);
    private const int WarmJitterMs = 1000;
    private const int StartRetries = 3;
    private static readonly string[] Devices = [.. Enumerable.Range(0, CameraCount).Select(i => $"virtual{i}")];

    // Files started in the 4-camera window (start_recording's filename; segments are an hour long).
    private readonly HashSet<string> _windowFiles = new(StringComparer.Ordinal);

    // Readers added by hand where the stand-in lost count of a recording's reader (see RepairLostReaderAsync).
    private readonly Dictionary<string, string> _phantomReaders = new(StringComparer.Ordinal);

    public string Name => "media";

    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(480 + 2 * options.RecordSeconds);

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        _windowFiles.Clear();
        _phantomReaders.Clear();
        foreach (var tool in new[] { "ffmpeg", "ffprobe" })
            if (!OnPath(tool)) throw new InvalidOperationException($"{tool} is not on PATH: the media scenario needs FFmpeg");

        Console.Error.WriteLine("  media: starting the MediaMTX stand-in with its RTSP relay");
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, UseRelay = true });
        report.Add(Name, "MediaMTX stand-in", $"API 127.0.0.1:{standIn.ApiPort}, GStreamer RTSP relay 127.0.0.1:{standIn.RtspPort}, imitating MediaMTX {standIn.Version}");

        var log = new ServiceLog();
        await using var service = await RunningService.StartAsync(options.Binary, cancellation, extraToml: Toml(standIn.ApiPort, standIn.RtspPort), logLevel: "info");
        service.Process.LineReceived += log.Add;
        var clients = new List<RpcClient>();
        try
        {
            var configured = Stopwatch.GetTimestamp();
            if (!await WaitUntilAsync(() => Devices.All(d => standIn.GetPathConf(d) is not null), TimeSpan.FromSeconds(30), cancellation))
                throw new TimeoutException($"the service did not configure paths {string.Join(", ", Devices)} in the stand-in within 30 s (has: {string.Join(", ", standIn.PathConfNames)})");
            report.Add(Name, "READY=1, then paths virtual0..3 configured in MediaMTX (health interval 1 s)", $"{Report.Ms(service.StartToReady)}, then {Report.Ms(Stopwatch.GetElapsedTime(configured))}");

            var client = await service.ConnectAsync(cancellation);
            clients.Add(client);

            await Phase(report, "cold snapshots", () => ColdSnapshotsAsync(standIn, client, log, report, cancellation), cancellation);
            await Phase(report, "warm snapshots", () => WarmSnapshotsAsync(standIn, client, log, report, cancellation), cancellation);
            await Phase(report, "recording start", () => RecordingStartsAsync(standIn, client, report, cancellation), cancellation);
            await Phase(report, "4 cameras recording", async () =>
            {
                for (var i = 0; i < CameraCount; i++) clients.Add(await service.ConnectAsync(cancellation));
                await FourCamerasAsync(options, standIn, service, clients.Skip(1).ToList(), report, cancellation);
            }, cancellation);
            await Phase(report, "recording files", () => ProbeFilesAsync(service.Config.RecordingsPath, report, cancellation), cancellation);

            using (var metrics = await RunningService.MetricsAsync(client, cancellation))
            {
                if (metrics is not null && metrics.RootElement.GetProperty("result").TryGetProperty("methods", out var methods))
                {
                    var parts = new List<string>();
                    foreach (var method in new[] { "take_snapshot", "start_recording", "stop_recording" })
                        if (methods.TryGetProperty(method, out var m) && m.TryGetProperty("average_ms", out var avg))
                            parts.Add($"{method} {Report.Ms(avg.GetDouble())}");
                    if (parts.Count > 0) report.Add(Name, "server-side mean handling time (get_metrics, all calls)", string.Join("; ", parts));
                }
            }
            if (service.Process.RssBytes() is { } rss) report.Add(Name, "service VmRSS at the end", Report.MiB(rss));
            await service.StopAsync(report, Name, "after the media runs", cancellation, reportLog: false);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            service.Process.LineReceived -= log.Add;
            foreach (var line in log.Problems(service.Process.Log)) report.Observe(Name, $"service log: `{line}`");
            // Disposal (reverse order): the service is killed with its FFmpeg children, then the stand-in
            // stops its publishers (SIGINT, then SIGKILL) and the relay.
        }
    }

    private static string Toml(int apiPort, int rtspPort)
    {
        var sb = new System.Text.StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            [mediamtx]
            host = "127.0.0.1"
            api_port = {apiPort}
            rtsp_port = {rtspPort}
            request_timeout = 2
            # Short, so the paths exist within a second of READY=1.
            health_check_interval = 1

            [ffmpeg]
            max_concurrent = 8

            """);
        for (var i = 0; i < CameraCount; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""

                [[camera.virtual]]
                name = "Bench {i}"
                resolution = "1280x720"
                fps = 30
                pattern = "testsrc2"

                """);
        }
        return sb.ToString();
    }

    private async Task Phase(Report report, string name, Func<Task> run, CancellationToken cancellation)
    {
        Console.Error.WriteLine($"  media: {name}");
        var started = Stopwatch.GetTimestamp();
        try
        {
            await run();
        }
        catch (Exception ex) when (!cancellation.IsCancellationRequested)
        {
            report.Fail(Name, $"{name}: {ex.GetType().Name}: {ex.Message}");
            Console.Error.WriteLine($"  media: {name} FAILED: {ex}");
        }
        Console.Error.WriteLine($"  media: {name} done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
    }

    // 1. An idle camera: no publisher, so the service runs FFmpeg on the test pattern itself.
    private async Task ColdSnapshotsAsync(MediaMtxStandIn standIn, RpcClient client, ServiceLog log, Report report, CancellationToken cancellation)
    {
        const string device = "virtual0";
        var samples = new List<Sample>();
        var notIdle = 0;
        for (var i = 0; i < ColdSamples; i++)
        {
            if (!IsIdle(standIn, device)) notIdle++;
            samples.Add(await SnapshotAsync(client, device, cancellation));
        }
        if (notIdle > 0) report.Observe(Name, $"cold snapshots: {notIdle} of {ColdSamples} were taken while the stand-in had a publisher on {device}");
        await ReportSnapshotsAsync("snapshot, cold (idle camera: FFmpeg on the test pattern)", "pattern", samples, log, report, cancellation);
    }

    // 2. The same camera while it records: its stream is live in MediaMTX, so the service reads RTSP.
    private async Task WarmSnapshotsAsync(MediaMtxStandIn standIn, RpcClient client, ServiceLog log, Report report, CancellationToken cancellation)
    {
        const string device = "virtual0";
        var start = await CallAsync(client, "start_recording", device, StartTimeout, cancellation);
        if (!start.Ok) throw new InvalidOperationException($"start_recording {device}: {start.Error}");
        report.Add(Name, $"start_recording {device} before the warm snapshots (idle camera)", Report.Ms(start.Ms));
        try
        {
            if (!await WaitUntilAsync(() => IsReady(standIn, device), TimeSpan.FromSeconds(15), cancellation))
                throw new TimeoutException($"{device} did not become ready in the stand-in within 15 s of start_recording");
            await RepairLostReaderAsync(standIn, device, report, "warm snapshots", cancellation);
            var samples = new List<Sample>();
            var notLive = 0;
            // A reader waits for the next keyframe (GOP 15 at 30 fps: every 500 ms). Back to back, each
            // snapshot would start right after the previous keyframe and so always wait the longest: a
            // random pause (fixed seed) spreads the samples over the GOP, as requests arrive in real use.
            var random = new Random(5);
            for (var i = 0; i < WarmSamples; i++)
            {
                await Task.Delay(random.Next(0, WarmJitterMs), cancellation);
                if (!IsReady(standIn, device)) notLive++;
                samples.Add(await SnapshotAsync(client, device, cancellation));
            }
            if (notLive > 0) report.Observe(Name, $"warm snapshots: the stream of {device} was not ready before {notLive} of {WarmSamples} samples");
            await ReportSnapshotsAsync("snapshot, warm (camera recording: FFmpeg reads the live RTSP stream; random 0–1 s pause before each)", "stream", samples, log, report, cancellation);
        }
        finally
        {
            var stop = await CallAsync(client, "stop_recording", device, StopTimeout, CancellationToken.None);
            ForgetPhantomReader(standIn, device);
            if (stop.Ok) report.Add(Name, $"stop_recording {device} after the warm snapshots", Report.Ms(stop.Ms));
            else report.Observe(Name, $"stop_recording {device} after the warm snapshots: {stop.Error}");
        }
    }

    private async Task ReportSnapshotsAsync(string label, string expectedInput, List<Sample> samples, ServiceLog log, Report report, CancellationToken cancellation)
    {
        var ok = samples.Where(s => s.Ok).ToList();
        var failed = samples.Where(s => !s.Ok).ToList();
        var ms = ok.Select(s => s.Ms).ToList();
        report.Add(Name, $"{label}: p50 / p95 / max of {ok.Count}", $"{Report.Ms(Percentile(ms, 50))} / {Report.Ms(Percentile(ms, 95))} / {Report.Ms(ms.DefaultIfEmpty(double.NaN).Max())}");
        report.Add(Name, $"{label}: first / min", $"{Report.Ms(samples.Count > 0 && samples[0].Ok ? samples[0].Ms : double.NaN)} / {Report.Ms(ms.DefaultIfEmpty(double.NaN).Min())}");
        if (ok.Count > 0) report.Add(Name, $"{label}: JPEG size, mean", Report.KiB(ok.Average(s => (double)s.FileSize)));
        if (failed.Count > 0) report.Observe(Name, $"{label}: {failed.Count} of {samples.Count} failed; first: {failed[0].Error}");

        // The service's own view (info log): which input it used and how long FFmpeg took.
        await WaitUntilAsync(() => ok.All(s => log.Snapshot(s.FileName) is not null), TimeSpan.FromSeconds(2), cancellation);
        var logged = ok.Select(s => log.Snapshot(s.FileName)).Where(l => l is not null).Select(l => l!.Value).ToList();
        var inputs = string.Join(", ", logged.GroupBy(l => l.Input).Select(g => $"{g.Key} ×{g.Count()}"));
        var ffmpegMs = logged.Select(l => l.Ms).ToList();
        report.Add(Name, $"{label}: input the service logged", logged.Count == 0 ? "no log lines" : inputs);
        if (logged.Count > 0)
        {
            report.Add(Name, $"{label}: FFmpeg time the service logged, p50 / max", $"{Report.Ms(Percentile(ffmpegMs, 50))} / {Report.Ms(ffmpegMs.Max())}");
            // Client latency minus the service's FFmpeg time: RPC, the MediaMTX "is it live?" query, writing the file.
            var overhead = ok.Select(s => (s, l: log.Snapshot(s.FileName))).Where(p => p.l is not null).Select(p => p.s.Ms - p.l!.Value.Ms).ToList();
            report.Add(Name, $"{label}: latency minus logged FFmpeg time, p50", Report.Ms(Percentile(overhead, 50)));
        }
        if (logged.Any(l => l.Input != expectedInput)) report.Observe(Name, $"{label}: expected every snapshot from the {expectedInput}, the service logged {inputs}");
    }

    // 3. start_recording on an idle camera, with a poller on the stand-in to split the wait into
    // "publisher launched", "publisher up (path ready)" and "first segment file" (the reply).
    private async Task RecordingStartsAsync(MediaMtxStandIn standIn, RpcClient client, Report report, CancellationToken cancellation)
    {
        int[] order = [1, 2, 3, 0, 1];
        var starts = new List<double>();
        var stops = new List<double>();
        var launched = new List<double>();
        var ready = new List<double>();
        var waits = new List<double>();
        for (var i = 0; i < StartSamples; i++)
        {
            var device = Devices[order[i % order.Length]];
            var waitStarted = Stopwatch.GetTimestamp();
            if (!await WaitUntilAsync(() => IsIdle(standIn, device), IdleWait, cancellation))
                report.Observe(Name, $"recording start {i + 1}: {device} still had a publisher after {IdleWait.TotalSeconds:0} s; measured anyway");
            waits.Add(Stopwatch.GetElapsedTime(waitStarted).TotalMilliseconds);

            using var stopPoller = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var sentAt = Stopwatch.GetTimestamp();
            var poller = PollStartAsync(standIn, device, sentAt, stopPoller.Token);
            var start = await CallAsync(client, "start_recording", device, StartTimeout, cancellation);
            await stopPoller.CancelAsync();
            var (launchMs, readyMs) = await poller;
            if (!start.Ok)
            {
                report.Observe(Name, $"recording start {i + 1} ({device}): {start.Error}");
                continue;
            }
            starts.Add(start.Ms);
            if (launchMs is { } l) launched.Add(l);
            if (readyMs is { } r) ready.Add(r);
            Console.Error.WriteLine($"    start_recording {device}: {Report.Ms(start.Ms)} (publisher launched {Report.Ms(launchMs ?? double.NaN)}, path ready {Report.Ms(readyMs ?? double.NaN)})");

            var stop = await CallAsync(client, "stop_recording", device, StopTimeout, cancellation);
            if (stop.Ok) stops.Add(stop.Ms);
            else report.Observe(Name, $"recording start {i + 1}: stop_recording {device}: {stop.Error}");
        }
        report.Add(Name, $"start_recording, idle camera, until the reply: p50 / max of {starts.Count}", $"{Report.Ms(Percentile(starts, 50))} / {Report.Ms(starts.DefaultIfEmpty(double.NaN).Max())}");
        report.Add(Name, "start_recording: all samples", string.Join(", ", starts.Select(Report.Ms)));
        report.Add(Name, "  of which: request to publisher launched by the stand-in, p50", Report.Ms(Percentile(launched, 50)));
        report.Add(Name, "  of which: request to publisher up (path ready), p50", Report.Ms(Percentile(ready, 50)));
        var segment = starts.Zip(ready, (s, r) => s - r).ToList();
        if (ready.Count == starts.Count) report.Add(Name, "  of which: path ready to reply (first segment file written), p50", Report.Ms(Percentile(segment, 50)));
        report.Add(Name, $"stop_recording right after the start: p50 / max of {stops.Count}", $"{Report.Ms(Percentile(stops, 50))} / {Report.Ms(stops.DefaultIfEmpty(double.NaN).Max())}");
        report.Add(Name, "wait for the camera's previous publisher to close (runOnDemandCloseAfter 10 s), per sample", string.Join(", ", waits.Select(w => Report.Ms(w))));
    }

    private static async Task<(double? Launched, double? Ready)> PollStartAsync(MediaMtxStandIn standIn, string device, long sentAt, CancellationToken stop)
    {
        double? launched = null, ready = null;
        // Bounded: at most StartTimeout worth of 5 ms polls.
        for (var i = 0; i < (int)(StartTimeout.TotalMilliseconds / 5) && !stop.IsCancellationRequested; i++)
        {
            var now = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
            if (launched is null && SafeStatus(standIn, device)?.ProcessId is not null) launched = now;
            if (ready is null && IsReady(standIn, device)) ready = now;
            if (launched is not null && ready is not null) break;
            try { await Task.Delay(5, stop); } catch (OperationCanceledException) { break; }
        }
        return (launched, ready);
    }

    // 4. All cameras at once.
    private async Task FourCamerasAsync(Options options, MediaMtxStandIn standIn, RunningService service, List<RpcClient> clients, Report report, CancellationToken cancellation)
    {
        if (!await WaitUntilAsync(() => Devices.All(d => IsIdle(standIn, d)), IdleWait, cancellation))
            report.Observe(Name, "4 cameras: not every camera was idle before the concurrent start");
        var nproc = Environment.ProcessorCount;

        var started = await Task.WhenAll(clients.Select((c, i) => CallAsync(c, "start_recording", Devices[i], StartTimeout, cancellation)));
        var failedStarts = started.Select((s, i) => (s, i)).Where(p => !p.s.Ok).ToList();
        foreach (var s in started.Where(s => s.Ok)) _windowFiles.Add(s.FileName);
        report.Add(Name, $"{CameraCount} start_recording at once (idle cameras): each", string.Join(", ", started.Select((s, i) => $"{Devices[i]} {(s.Ok ? Report.Ms(s.Ms) : "failed")}")));
        foreach (var (s, i) in failedStarts)
        {
            report.Observe(Name, $"concurrent start_recording {Devices[i]} failed: {s.Error}");
            // The window needs all cameras recording: try again alone (not a latency sample).
            for (var attempt = 1; attempt <= StartRetries && !started[i].Ok; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                started[i] = await CallAsync(clients[i], "start_recording", Devices[i], StartTimeout, cancellation);
                report.Observe(Name, $"start_recording {Devices[i]} retried alone (attempt {attempt}): {(started[i].Ok ? "started after " + Report.Ms(started[i].Ms) : started[i].Error)}");
            }
            if (started[i].Ok) _windowFiles.Add(started[i].FileName);
        }
        try
        {
            await Task.Delay(Settle, cancellation);
            for (var i = 0; i < CameraCount; i++)
                if (started[i].Ok) await RepairLostReaderAsync(standIn, Devices[i], report, $"{CameraCount} cameras", cancellation, settle: false);
            var window = TimeSpan.FromSeconds(options.RecordSeconds);
            var servicePid = service.Process.Pid;
            var exclude = new HashSet<int> { servicePid };

            var svcCpu0 = service.CpuTime();
            var svcReaped0 = ProcessTree.ReapedChildrenCpu(servicePid);
            var children0 = ProcessTree.Descendants(servicePid).ToDictionary(p => p.Pid);
            var ours0 = ProcessTree.Descendants(Environment.ProcessId, exclude).ToDictionary(p => p.Pid);
            var self0 = Process.GetCurrentProcess().TotalProcessorTime;
            var machine0 = MachineCpu.Read();
            var rssStart = service.Process.RssBytes() ?? 0;
            var t0 = Stopwatch.GetTimestamp();

            long rssPeak = rssStart, recorderRssPeak = 0, recorderPssPeak = 0, publisherRssPeak = 0, publisherPssPeak = 0;
            var minRecorders = int.MaxValue;
            var end = t0 + (long)(window.TotalSeconds * Stopwatch.Frequency);
            for (var tick = 0; tick < options.RecordSeconds * 2 + 10 && Stopwatch.GetTimestamp() < end; tick++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, Math.Max(1, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end).TotalMilliseconds))), cancellation);
                rssPeak = Math.Max(rssPeak, service.Process.RssBytes() ?? 0);
                var recorders = ProcessTree.Descendants(servicePid).Where(p => p.Comm == "ffmpeg").ToList();
                minRecorders = Math.Min(minRecorders, recorders.Count);
                recorderRssPeak = Math.Max(recorderRssPeak, recorders.Sum(p => p.RssBytes));
                recorderPssPeak = Math.Max(recorderPssPeak, recorders.Sum(p => p.PssBytes));
                var publishers = ProcessTree.Descendants(Environment.ProcessId, exclude).Where(IsPublisher).ToList();
                publisherRssPeak = Math.Max(publisherRssPeak, publishers.Sum(p => p.RssBytes));
                publisherPssPeak = Math.Max(publisherPssPeak, publishers.Sum(p => p.PssBytes));
            }

            var elapsed = Stopwatch.GetElapsedTime(t0);
            var svcCpu1 = service.CpuTime();
            var svcReaped1 = ProcessTree.ReapedChildrenCpu(servicePid);
            var children1 = ProcessTree.Descendants(servicePid);
            var ours1 = ProcessTree.Descendants(Environment.ProcessId, exclude);
            var self1 = Process.GetCurrentProcess().TotalProcessorTime;
            var machine1 = MachineCpu.Read();
            var load = File.ReadAllText("/proc/loadavg").Trim();
            var seconds = elapsed.TotalSeconds;
            string Cores(TimeSpan cpu) => (cpu.TotalSeconds / seconds).ToString("0.00", CultureInfo.InvariantCulture) + " cores";

            report.Add(Name, $"{CameraCount} cameras recording: measured window", $"{seconds:0.0} s (from {Settle.TotalSeconds:0} s after the last start_recording reply)");
            if (svcCpu0 is { } a && svcCpu1 is { } b) report.Add(Name, $"{CameraCount} cameras recording: service process CPU (utime+stime)", Cores(b - a));
            report.Add(Name, $"{CameraCount} cameras recording: service VmRSS start / peak", $"{Report.MiB(rssStart)} / {Report.MiB(rssPeak)}");

            var (recorderCpu, recorderCount, recorderGone) = Delta(children0, children1, p => p.Comm == "ffmpeg");
            var reaped = svcReaped0 is { } r0 && svcReaped1 is { } r1 ? r1 - r0 : TimeSpan.Zero;
            report.Add(Name, $"{CameraCount} cameras recording: the service's FFmpeg children (recorders, -c copy) CPU, total",
                $"{Cores(recorderCpu + reaped)} over {recorderCount} process(es) (fewest seen at once: {(minRecorders == int.MaxValue ? 0 : minRecorders)}); peak sum VmRSS {Report.MiB(recorderRssPeak)}, Pss {Report.MiB(recorderPssPeak)}");
            if (recorderGone > 0 || reaped > TimeSpan.Zero) report.Observe(Name, $"4 cameras: {recorderGone} FFmpeg child(ren) of the service ended during the window (reaped CPU {reaped.TotalSeconds:0.00} s counted)");

            var (publisherCpu, publisherCount, _) = Delta(ours0, ours1, IsPublisher);
            var (relayCpu, relayCount, _) = Delta(ours0, ours1, p => p.CommandLine.Contains("rtsp-relay.py", StringComparison.Ordinal));
            report.Add(Name, $"{CameraCount} cameras recording: stand-in side, on-demand publishers (FFmpeg testsrc2 → libx264 720p30 → RTSP) CPU, total",
                $"{Cores(publisherCpu)} over {publisherCount} process(es); peak sum VmRSS {Report.MiB(publisherRssPeak)}, Pss {Report.MiB(publisherPssPeak)}");
            report.Add(Name, $"{CameraCount} cameras recording: stand-in side, GStreamer RTSP relay CPU", $"{Cores(relayCpu)} ({relayCount} process)");
            report.Add(Name, $"{CameraCount} cameras recording: load client process CPU (stand-in API, RPC client, /proc sampling)", Cores(self1 - self0));
            if (machine0 is { } m0 && machine1 is { } m1)
            {
                report.Add(Name, $"{CameraCount} cameras recording: machine busy ({nproc} cores)",
                    $"{m1.BusyShareSince(m0).ToString("P0", CultureInfo.InvariantCulture)} = {(m1.BusyShareSince(m0) * nproc).ToString("0.00", CultureInfo.InvariantCulture)} cores (softirq {m1.SoftIrqShareSince(m0).ToString("P0", CultureInfo.InvariantCulture)}, steal {m1.StealShareSince(m0).ToString("P0", CultureInfo.InvariantCulture)})");
            }
            report.Add(Name, $"{CameraCount} cameras recording: /proc/loadavg at the end", load);
            report.Add(Name, "process tree read from", ProcessTree.HasChildrenFiles ? "/proc/PID/task/TID/children" : "a /proc scan for parent pids (this kernel has no /proc/PID/task/TID/children)");
        }
        finally
        {
            var stopped = await Task.WhenAll(clients.Select((c, i) => started[i].Ok ? CallAsync(c, "stop_recording", Devices[i], StopTimeout, CancellationToken.None) : Task.FromResult(Sample.Failed("not started"))));
            foreach (var device in Devices) ForgetPhantomReader(standIn, device);
            report.Add(Name, $"{CameraCount} stop_recording at once: each", string.Join(", ", stopped.Select((s, i) => $"{Devices[i]} {(s.Ok ? Report.Ms(s.Ms) : "-")}")));
            var sizes = stopped.Where(s => s.Ok).Select(s => s.FileSize).ToList();
            if (sizes.Count > 0) report.Add(Name, $"{CameraCount} cameras recording: file_size from stop_recording, total", Report.MiB(sizes.Sum()));
            foreach (var (s, i) in stopped.Select((s, i) => (s, i)).Where(p => !p.s.Ok && started[p.i].Ok)) report.Observe(Name, $"concurrent stop_recording {Devices[i]}: {s.Error}");
        }
    }

    /// <summary>
    /// While a recording reads a camera's stream the stand-in must count a reader on the path; with
    /// none it is in phase Closing and stops the publisher runOnDemandCloseAfter (10 s) after it came
    /// up, which ends the recording as FAILED ("the stream ended"). That happens when the relay emits
    /// reader_added before publisher_up (the reader's DESCRIBE wakes as soon as the publisher is
    /// counted, before publisher_up is printed) and the stand-in's PublisherUp then clears the readers.
    /// A stand-in race, not the service's: count the reader by hand for the recording's lifetime, and say so.
    /// </summary>
    private async Task RepairLostReaderAsync(MediaMtxStandIn standIn, string device, Report report, string phase, CancellationToken cancellation, bool settle = true)
    {
        if (settle) await Task.Delay(300, cancellation); // the relay's events reach the stand-in within milliseconds
        if (SafeStatus(standIn, device)?.Phase != OnDemandPhase.Closing || _phantomReaders.ContainsKey(device)) return;
        _phantomReaders[device] = standIn.SimulateReader(device);
        report.Observe(Name, $"{phase}: the stand-in counted no reader on {device} although its recording was reading the stream (on-demand phase Closing: it would have stopped the publisher 10 s after start, and the recording would end FAILED). " +
            "A reader was added by hand (SimulateReader) until stop_recording. Cause: the relay can print reader_added before publisher_up, and the stand-in's PublisherUp clears the readers");
    }

    private void ForgetPhantomReader(MediaMtxStandIn standIn, string device)
    {
        if (_phantomReaders.Remove(device, out var id)) standIn.SimulateReaderGone(device, id);
    }

    private static (TimeSpan Cpu, int Count, int Gone) Delta(Dictionary<int, ProcInfo> before, List<ProcInfo> after, Func<ProcInfo, bool> which)
    {
        var cpu = TimeSpan.Zero;
        var count = 0;
        foreach (var p in after.Where(which))
        {
            count++;
            // Present at the start: its CPU since then; started during the window: all of it.
            cpu += before.TryGetValue(p.Pid, out var b) && b.Comm == p.Comm ? p.Cpu - b.Cpu : p.Cpu;
        }
        var gone = before.Values.Where(which).Count(b => after.All(p => p.Pid != b.Pid));
        return (cpu, count, gone);
    }

    private static bool IsPublisher(ProcInfo p) => p.Comm == "ffmpeg" && p.CommandLine.Contains("-f rtsp", StringComparison.Ordinal);

    // Every recording file of the run (all phases) must play: ffprobe decodes each one to the end.
    private async Task ProbeFilesAsync(string directory, Report report, CancellationToken cancellation)
    {
        var files = Directory.Exists(directory) ? Directory.GetFiles(directory).Order(StringComparer.Ordinal).ToList() : [];
        var playable = 0;
        var problems = new List<string>();
        long bytes = 0, windowBytes = 0;
        var windowFiles = 0;
        foreach (var file in files.Take(200))
        {
            var name = Path.GetFileName(file);
            var size = new FileInfo(file).Length;
            var inWindow = _windowFiles.Contains(name);
            bytes += size;
            if (inWindow) { windowBytes += size; windowFiles++; }
            var probe = await FfprobeAsync(file, cancellation);
            if (probe.Error is null && probe.Frames > 0)
            {
                playable++;
                var fps = probe.Duration > 0 ? probe.Frames / probe.Duration.Value : double.NaN;
                var detail = $"{probe.Codec} {probe.Width}x{probe.Height}, {probe.Duration:0.0} s, {probe.Frames} frames ({fps:0.0} fps), {Report.MiB(size)}" +
                    (probe.Duration > 0 ? $", {(size * 8 / probe.Duration.Value / 1e6).ToString("0.00", CultureInfo.InvariantCulture)} Mbit/s" : "");
                Console.Error.WriteLine($"    {name}: {detail}");
                if (inWindow) report.Add(Name, $"recording of the {CameraCount}-camera window: {name}", detail);
            }
            else problems.Add($"{name} ({Report.MiB(size)}): {probe.Error ?? "no frames"}");
        }
        report.Add(Name, "recording files that play (ffprobe -count_frames decodes every frame), all phases", $"{playable} of {files.Count}");
        report.Add(Name, $"recordings written in the {CameraCount}-camera window", $"{(windowBytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} MB in {windowFiles} file(s)");
        report.Add(Name, "recordings written, all phases", $"{(bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} MB in {files.Count} file(s)");
        foreach (var p in problems) report.Observe(Name, "recording does not play: " + p);
    }

    private static async Task<(string? Codec, int Width, int Height, double? Duration, int Frames, string? Error)> FfprobeAsync(string file, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=duration", "-of", "json", file })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffprobe");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(bound.Token);
            var stderr = process.StandardError.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            var err = (await stderr).Trim();
            if (process.ExitCode != 0) return (null, 0, 0, null, 0, $"ffprobe exit {process.ExitCode}: {err}");
            using var doc = JsonDocument.Parse(await stdout);
            if (doc.RootElement.GetProperty("streams").GetArrayLength() == 0) return (null, 0, 0, null, 0, "no video stream");
            var s = doc.RootElement.GetProperty("streams")[0];
            double? duration = doc.RootElement.TryGetProperty("format", out var f) && f.TryGetProperty("duration", out var d)
                && double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var dv) ? dv : null;
            var frames = s.TryGetProperty("nb_read_frames", out var n) && int.TryParse(n.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var nv) ? nv : 0;
            return (s.GetProperty("codec_name").GetString(), s.GetProperty("width").GetInt32(), s.GetProperty("height").GetInt32(), duration, frames,
                err.Length > 0 ? "ffprobe said: " + err[..Math.Min(err.Length, 200)] : null);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return (null, 0, 0, null, 0, "ffprobe took longer than 60 s");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    private readonly record struct Sample(bool Ok, double Ms, string FileName, long FileSize, string? Error)
    {
        public static Sample Failed(string error) => new(false, double.NaN, "", 0, error);
    }

    private static Task<Sample> SnapshotAsync(RpcClient client, string device, CancellationToken cancellation) =>
        CallAsync(client, "take_snapshot", device, SnapshotTimeout, cancellation);

    /// <summary>One call with {device}; Ok when the result says success (take_snapshot: status "completed").</summary>
    private static async Task<Sample> CallAsync(RpcClient client, string method, string device, TimeSpan timeout, CancellationToken cancellation)
    {
        Reply reply;
        try
        {
            reply = await client.CallAsync(method, json => json.WriteString("device"u8, device), wantDocument: true, timeout, cancellation);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            return Sample.Failed($"{method}: {ex.GetType().Name}: {ex.Message}");
        }
        using var document = reply.Document;
        var ms = reply.Latency.TotalMilliseconds;
        if (reply.IsError) return new Sample(false, ms, "", 0, $"{method}: error {reply.ErrorCode} {reply.ErrorMessage}");
        var result = document!.RootElement.GetProperty("result");
        var status = result.TryGetProperty("status", out var st) ? st.GetString() : null;
        var file = result.TryGetProperty("filename", out var fn) ? fn.GetString() ?? "" : "";
        var size = result.TryGetProperty("file_size", out var fs) && fs.ValueKind == JsonValueKind.Number ? fs.GetInt64() : 0;
        var success = result.TryGetProperty("success", out var ok) && ok.ValueKind == JsonValueKind.True;
        if (!success || status is "FAILED")
            return new Sample(false, ms, file, size, $"{method}: status {status}: {(result.TryGetProperty("error", out var e) ? e.ToString() : result.GetRawText())}");
        return new Sample(true, ms, file, size, null);
    }

    private static OnDemandStatus? SafeStatus(MediaMtxStandIn standIn, string path)
    {
        try { return standIn.GetOnDemandStatus(path); }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or ArgumentException) { return null; }
    }

    private static bool IsReady(MediaMtxStandIn standIn, string path) =>
        standIn.GetPath(path)?["ready"]?.GetValue<bool>() == true;

    /// <summary>No publisher and no runOnDemand command on the path: a reader would start one from scratch.</summary>
    private static bool IsIdle(MediaMtxStandIn standIn, string path) =>
        SafeStatus(standIn, path) is { Phase: OnDemandPhase.Initial, ProcessId: null } && !IsReady(standIn, path);

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellation, int pollMs = 20)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < timeout.TotalMilliseconds / pollMs + 2; i++)
        {
            if (condition()) return true;
            if (Stopwatch.GetTimestamp() >= deadline) break;
            await Task.Delay(pollMs, cancellation);
        }
        return condition();
    }

    /// <summary>Nearest-rank percentile (p in 0..100), as <see cref="LatencySummary"/>.</summary>
    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));

    /// <summary>The service's log lines of interest: snapshot timings (info) and anything at warning or above.</summary>
    private sealed partial class ServiceLog
    {
        private const int MaxProblems = 200;
        private readonly ConcurrentDictionary<string, (string Input, double Ms)> _snapshots = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _problems = new();

        public void Add(string line)
        {
            var m = SnapshotLine().Match(line);
            if (m.Success)
                _snapshots[m.Groups["file"].Value] = (m.Groups["input"].Value, double.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture));
            else if (IsProblem(line) && _problems.Count < MaxProblems)
                _problems.Enqueue(line);
        }

        public (string Input, double Ms)? Snapshot(string file) => _snapshots.TryGetValue(file, out var s) ? s : null;

        /// <summary>Warnings and worse, distinct, at most 10 (also from the lines kept before we subscribed).</summary>
        public IEnumerable<string> Problems(IEnumerable<string> early) =>
            early.Where(IsProblem).Concat(_problems).Select(l => TimeStamp().Replace(l, "")).Distinct().Take(10);

        private static bool IsProblem(string line) => line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal);

        // "10:58:01.123 info: Appliance.Media.Snapshots.SnapshotTaker[0] Snapshot F of virtual0 from the pattern: 123 bytes in 150 ms"
        [GeneratedRegex(@"Snapshot (?<file>\S+) of \S+ from the (?<input>\w+): \d+ bytes in (?<ms>\d+(\.\d+)?) ms")]
        private static partial Regex SnapshotLine();

        [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} ")]
        private static partial Regex TimeStamp();
    }
}
