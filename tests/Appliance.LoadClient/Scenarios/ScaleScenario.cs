using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Appliance.LoadClient.Scenarios.Scale;
using Appliance.Testing.MediaMtx;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// scale (issue 17): N virtual cameras (--cameras, default 16) at 320x240@15 behind the MediaMTX
/// stand-in with its GStreamer relay, the service at its default limits. All N publish, then all N
/// record at once for --record-seconds (default 60; the service stops them itself, start_recording's
/// duration; one connection per camera starts them). Meanwhile: a take_snapshot every 2 s on each camera
/// (another connection per camera) with a bare FFmpeg read of the same stream between two, 20 connections polling get_camera_list,
/// get_status and ping, and 50 connections subscribed to every topic that read everything.
/// Fails (exit 1) when a recording does not play for its asked duration (ffprobe, every frame), a
/// snapshot does not decode, a call fails, or a subscribed connection misses a recording or snapshot
/// notification (or the service counts one dropped). Targets (latency, RSS) are reported, not failed:
/// on a shared 2-core machine they measure the machine as much as the service.
/// </summary>
public sealed partial class ScaleScenario : IScenario
{
    public const int Pollers = 20;
    public const int Subscribers = 50;
    private const int ConnectConcurrency = 10;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan EndWait = TimeSpan.FromSeconds(30);
    // The snapshot rounds and polls begin once every start_recording has answered, or this long after
    // they were sent: a start that hangs must not shorten the measured window of the others.
    private static readonly TimeSpan StartGrace = TimeSpan.FromSeconds(3);
    // A shared machine: wait (bounded) for the CPU pressure to fall below this before starting, since
    // the service's resource guard refuses recordings above resources.max_cpu_pressure (default 90).
    private const double QuietPressure = 60;
    private static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(180);

    private static readonly string[] AllTopics =
    [
        "camera.connected", "camera.disconnected", "camera.status_change", "recording.start", "recording.stop", "recording.error",
        "recording.progress", "snapshot.taken", "stream.status", "system.health", "system.startup", "system.shutdown", "button.pressed", "update.progress",
    ];

    public string Name => "scale";

    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(300 + 3 * options.ScaleRecordSeconds + 10 * options.Cameras);

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        foreach (var tool in new[] { "ffmpeg", "ffprobe" })
            if (!OnPath(tool)) throw new InvalidOperationException($"{tool} is not on PATH: the scale scenario needs FFmpeg");
        var n = options.Cameras;
        var seconds = options.ScaleRecordSeconds;
        var devices = Enumerable.Range(0, n).Select(ScaleConfig.Device).ToArray();

        var waited = Stopwatch.GetTimestamp();
        await WaitUntilAsync(() => CpuPressure() is not { } p || p < QuietPressure, QuietWait, cancellation, pollMs: 1000);
        var busy = await MachineBusyAsync(TimeSpan.FromSeconds(3), cancellation);
        report.Add(Name, $"machine just before the scenario: busy (3 s, all cores); CPU pressure (/proc/pressure/cpu some avg10), after waiting up to {QuietWait.TotalSeconds:0} s for < {QuietPressure:0} %",
            $"{Percent(busy)}; {(CpuPressure() is { } psi ? psi.ToString("0", CultureInfo.InvariantCulture) + " %" : "no PSI")}, waited {Stopwatch.GetElapsedTime(waited).TotalSeconds:0} s");
        report.Add(Name, "setup", $"{n} virtual cameras {ScaleConfig.Resolution}@{ScaleConfig.Fps} testsrc2; recording {seconds} s each (start_recording duration); " +
            "the service's default limits ([ffmpeg], [resources], [mediamtx] timeouts)");

        Console.Error.WriteLine("  scale: starting the MediaMTX stand-in with its RTSP relay");
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, UseRelay = true });
        var log = new ServiceLogLines();
        await using var service = await RunningService.StartAsync(options.Binary, cancellation, extraToml: ScaleConfig.Toml(standIn.ApiPort, standIn.RtspPort, n), logLevel: "info");
        service.Process.LineReceived += log.Add;
        var clients = new ConcurrentBag<RpcClient>();
        try
        {
            await PathsAsync(standIn, service, devices, report, cancellation);
            await PublishAsync(standIn, devices, report, cancellation);

            Console.Error.WriteLine($"  scale: opening {2 * n + Pollers + Subscribers + 1} connections");
            var admin = await service.ConnectAsync(cancellation);
            clients.Add(admin);
            var recordingClients = await ConnectManyAsync(service, n, clients, cancellation);
            var cameraClients = await ConnectManyAsync(service, n, clients, cancellation);
            var pollerClients = await ConnectManyAsync(service, Pollers, clients, cancellation);
            var subscriberClients = await ConnectManyAsync(service, Subscribers, clients, cancellation);
            var tallies = subscriberClients.Select(c => { var t = new EventTally(); t.Attach(c); return t; }).ToArray();
            foreach (var c in subscriberClients) await SubscribeAsync(c, cancellation);
            var others = recordingClients.Concat(cameraClients).Concat(pollerClients).Append(admin).ToArray();
            var othersFrames0 = others.Sum(c => c.Unsolicited);
            var framesBefore = tallies.Sum(t => t.Frames);
            using var metrics0 = await RunningService.MetricsAsync(admin, cancellation) ?? throw new InvalidOperationException("get_metrics failed");
            var rssConnected = service.Process.RssBytes() ?? 0;
            report.Add(Name, $"service VmRSS with {n} publishers up and {2 * n + Pollers + Subscribers + 1} connections open, before the recordings", Report.MiB(rssConnected));

            // All N recordings at once, each ended by the service after `seconds` (FFmpeg -t).
            Console.Error.WriteLine($"  scale: {n} start_recording at once, {seconds} s each");
            var t0 = Stopwatch.GetTimestamp();
            var starting = Task.WhenAll(recordingClients.Select((c, i) => StartRecordingAsync(c, devices[i], seconds, cancellation)));
            await Task.WhenAny(starting, Task.Delay(StartGrace, cancellation));
            if (starting.IsCompleted && starting.Result.All(s => !s.Ok))
            {
                ReportStarts(starting.Result, devices, report);
                throw new InvalidOperationException($"no recording started (CPU pressure then {CpuPressure():0} %); first error: {starting.Result[0].Error}");
            }

            // Snapshot rounds and polls run while the recordings do and end a second before they do.
            var until = t0 + (long)((seconds - 1) * Stopwatch.Frequency);
            var loopsStart = Stopwatch.GetTimestamp();
            var sampler = new ProcessSampler(service.Process.Pid);
            IReadOnlyList<string> BareTemplate(int camera) => BareSnapshotRead.ForPath(
                sampler.ServiceSnapshotArguments ?? BareSnapshotRead.CopiedArguments(standIn.RtspUrl(devices[camera])), devices[camera]);
            var loops = cameraClients.Select((c, i) => new SnapshotLoop(i, c, () => BareTemplate(i))).ToArray();
            var pollers = pollerClients.Select(c => new StatusPoller(c)).ToArray();
            var random = new Random(17);
            var work = loops.Select((l, i) => l.RunAsync(loopsStart, SnapshotLoop.Period * i / n, until, cancellation))
                .Concat(pollers.Select(p => p.RunAsync(TimeSpan.FromMilliseconds(random.Next(0, (int)StatusPoller.Period.TotalMilliseconds)), until, cancellation)))
                .ToList();
            // The measured window: from a second after the loops start to two seconds before the recordings end.
            var window = TimeSpan.FromSeconds(Math.Max(2, seconds - 2 - Stopwatch.GetElapsedTime(t0).TotalSeconds - 1));
            var sampling = Task.Run(async () =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                await sampler.RunAsync(window, cancellation);
            }, cancellation);
            var timeline = new MemoryTimeline(service, admin);
            await Task.WhenAll(work.Append(sampling).Append(timeline.RunAsync(until, cancellation)));
            var loadavg = File.ReadAllText("/proc/loadavg").Trim();
            var starts = await starting;
            ReportStarts(starts, devices, report);
            var sessions = starts.Where(s => s.Ok).Select(s => s.SessionId).ToList();
            if (sessions.Count == 0) throw new InvalidOperationException($"no recording started; first error: {starts[0].Error}");

            Console.Error.WriteLine("  scale: waiting for the recordings to end");
            var ended = await WaitUntilAsync(() => sessions.All(s => tallies.All(t => t.Has(EventTally.Recording(s, "STOPPED")) || t.Has(EventTally.Recording(s, "FAILED")))),
                TimeSpan.FromSeconds(seconds) + EndWait - Stopwatch.GetElapsedTime(t0), cancellation);
            if (!ended) report.Fail(Name, $"not every subscriber was told that every recording ended within {EndWait.TotalSeconds:0} s of its duration");
            await Task.Delay(TimeSpan.FromSeconds(1), cancellation); // the last notifications in flight
            using var metrics1 = await RunningService.MetricsAsync(admin, cancellation) ?? throw new InvalidOperationException("get_metrics failed");

            ReportPolls(pollers, report);
            ReportSnapshots(loops, log, sampler, standIn.RtspUrl(devices[0]), report);
            ReportProcesses(sampler, n, loadavg, report);
            report.Add(Name, $"service memory every {MemoryTimeline.Period.TotalSeconds:0} s from the start of the snapshot rounds and polls: VmRSS / managed heap (get_metrics; GCs so far)", timeline.Render());
            ReportEvents(tallies, sessions, loops, metrics0, metrics1, tallies.Sum(t => t.Frames) - framesBefore, others.Sum(c => c.Unsolicited) - othersFrames0, report);
            ReportServerSide(metrics0, metrics1, report);
            ReportPublisherRestarts(standIn, devices, report);
            await CheckRecordingsAsync(service.Config.RecordingsPath, starts, seconds, report, cancellation);
            await CheckSnapshotsAsync(service.Config.SnapshotsPath, loops, report, cancellation);
            await service.StopAsync(report, Name, $"after the {n}-camera run", cancellation, reportLog: false);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
            service.Process.LineReceived -= log.Add;
            foreach (var line in log.Problems(service.Process.Log)) report.Observe(Name, $"service log: `{line}`");
        }
    }

    // Path creation from the stand-in's side: the service's reconcile adds one path per camera, in turn.
    private async Task PathsAsync(MediaMtxStandIn standIn, RunningService service, string[] devices, Report report, CancellationToken cancellation)
    {
        var configured = Stopwatch.GetTimestamp();
        if (!await WaitUntilAsync(() => devices.All(d => standIn.GetPathConf(d) is not null), TimeSpan.FromSeconds(30), cancellation))
            throw new TimeoutException($"the service did not configure all {devices.Length} paths in the stand-in within 30 s (has {standIn.PathConfNames.Count})");
        report.Add(Name, $"READY=1; then all {devices.Length} paths configured in the stand-in; service VmRSS then", $"{Report.Ms(service.StartToReady)}; then {Report.Ms(Stopwatch.GetElapsedTime(configured))}; {Report.MiB(service.Process.RssBytes() ?? 0)}");
        var exchanges = standIn.Exchanges.Entries;
        var gaps = new List<double>();
        for (var i = 1; i < exchanges.Count; i++)
        {
            if (exchanges[i].Method == "POST" && exchanges[i].PathAndQuery.StartsWith("/v3/config/paths/add/virtual", StringComparison.Ordinal))
                gaps.Add((exchanges[i].At - exchanges[i - 1].At).TotalMilliseconds);
        }
        if (gaps.Count > 0)
            report.Add(Name, $"path add as the service's reconcile does it (stand-in's view: time from the previous API exchange to the add's reply), p50 / p99 / max of {gaps.Count}",
                $"{Report.Ms(Percentile(gaps, 50))} / {Report.Ms(Percentile(gaps, 99))} / {Report.Ms(gaps.Max())}");
        if (gaps.Count != devices.Length) report.Observe(Name, $"the stand-in logged {gaps.Count} path adds for {devices.Length} cameras");
    }

    // All N publishers at once, as N readers asking at once would start them; then wait until every path is ready.
    private async Task PublishAsync(MediaMtxStandIn standIn, string[] devices, Report report, CancellationToken cancellation)
    {
        Console.Error.WriteLine($"  scale: starting {devices.Length} publishers");
        var ready = new double[devices.Length];
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(devices.Select(async (d, i) =>
        {
            var t = Stopwatch.GetTimestamp();
            await standIn.DemandAsync(d);
            ready[i] = await WaitUntilAsync(() => IsReady(standIn, d), PublishTimeout, cancellation, pollMs: 10) ? Stopwatch.GetElapsedTime(t).TotalMilliseconds : double.NaN;
        }));
        var missing = devices.Where((_, i) => double.IsNaN(ready[i])).ToList();
        if (missing.Count > 0) throw new TimeoutException($"{missing.Count} publisher(s) not up within {PublishTimeout.TotalSeconds:0} s: {string.Join(", ", missing)}");
        var list = ready.ToList();
        report.Add(Name, $"publisher start, all {devices.Length} at once (demand to path ready: FFmpeg start, x264 init, RTSP ANNOUNCE/RECORD), p50 / p99 / max; all up after",
            $"{Report.Ms(Percentile(list, 50))} / {Report.Ms(Percentile(list, 99))} / {Report.Ms(list.Max())}; {Report.Ms(Stopwatch.GetElapsedTime(started))}");
    }

    // A publisher that died and was restarted (runOnDemandRestart) takes its stream away from every reader for a while.
    private void ReportPublisherRestarts(MediaMtxStandIn standIn, string[] devices, Report report)
    {
        var restarted = devices.Select(d => (d, s: standIn.GetOnDemandStatus(d))).Where(p => p.s.Launches > 1).ToList();
        report.Add(Name, "publishers restarted during the run (stand-in's runOnDemand launches > 1)", restarted.Count == 0 ? "none" : string.Join(", ", restarted.Select(p => $"{p.d} ×{p.s.Launches}")));
        foreach (var (d, s) in restarted.Take(5))
            report.Observe(Name, $"the publisher of {d} was launched {s.Launches} times; its last output: `{string.Join(" | ", s.OutputTail.TakeLast(3))}`");
    }

    private static async Task<List<RpcClient>> ConnectManyAsync(RunningService service, int count, ConcurrentBag<RpcClient> all, CancellationToken cancellation)
    {
        var opened = new RpcClient[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = ConnectConcurrency, CancellationToken = cancellation },
            async (i, token) =>
            {
                opened[i] = await service.ConnectAsync(token);
                all.Add(opened[i]);
            });
        return [.. opened];
    }

    private static async Task SubscribeAsync(RpcClient client, CancellationToken cancellation)
    {
        var reply = await client.CallAsync("subscribe_events", json =>
        {
            json.WriteStartArray("topics"u8);
            foreach (var t in AllTopics) json.WriteStringValue(t);
            json.WriteEndArray();
        }, wantDocument: false, RunningService.CallTimeout, cancellation);
        if (reply.IsError) throw new InvalidOperationException($"subscribe_events: error {reply.ErrorCode} {reply.ErrorMessage}");
    }

    private readonly record struct Started(bool Ok, double Ms, string SessionId, string FileName, int ErrorCode, string? Error);

    private static async Task<Started> StartRecordingAsync(RpcClient client, string device, int seconds, CancellationToken cancellation)
    {
        try
        {
            var reply = await client.CallAsync("start_recording", json =>
            {
                json.WriteString("device"u8, device);
                json.WriteNumber("duration"u8, seconds);
            }, wantDocument: true, StartTimeout, cancellation);
            using var document = reply.Document;
            var ms = reply.Latency.TotalMilliseconds;
            if (reply.IsError) return new Started(false, ms, "", "", reply.ErrorCode, $"{device}: error {reply.ErrorCode} {reply.ErrorMessage}");
            var r = document!.RootElement.GetProperty("result");
            return new Started(true, ms, r.GetProperty("session_id").GetString() ?? "", r.GetProperty("filename").GetString() ?? "", 0, null);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            return new Started(false, double.NaN, "", "", 0, $"{device}: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
