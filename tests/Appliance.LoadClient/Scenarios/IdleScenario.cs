using System.Collections.Concurrent;
using System.Diagnostics;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// idle: 1000 (--connections) authenticated WebSocket connections held open and quiet. Reports the service's
/// VmRSS before/after (and per connection), how long opening them took, that a ping on an extra
/// connection still answers quickly, that every idle connection still answers at the end, and
/// how the service shuts down with them all open.
/// </summary>
public sealed class IdleScenario : IScenario
{
    private const int OpenConcurrency = 50;
    private const int ProbePings = 200;
    public string Name => "idle";

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        var connections = options.Connections;
        await using var service = await RunningService.StartAsync(options.Binary, cancellation, connections + 100);
        var idle = new ConcurrentBag<RpcClient>();
        RpcClient? probe = null;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
            await MeasureIdleCpuAsync(service, options, report, cancellation);
            var rssBefore = service.Process.RssBytes() ?? 0;
            var threadsBefore = service.Process.Threads();

            // Open and authenticate, OpenConcurrency at a time; each attempt is bounded by CallTimeout.
            Console.Error.WriteLine($"  idle: opening {connections} connections");
            var failures = new ConcurrentQueue<string>();
            var opening = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(Enumerable.Range(0, connections), new ParallelOptions { MaxDegreeOfParallelism = OpenConcurrency, CancellationToken = cancellation },
                async (_, token) =>
                {
                    try { idle.Add(await service.ConnectAsync(token)); }
                    catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested) { failures.Enqueue($"{ex.GetType().Name}: {ex.Message}"); }
                });
            var openTime = Stopwatch.GetElapsedTime(opening);
            report.Add(Name, $"open + authenticate {connections} connections ({OpenConcurrency} at a time)", $"{Report.Ms(openTime)} ({Report.Number(idle.Count / openTime.TotalSeconds)} conn/s)");
            if (!failures.IsEmpty) report.Observe(Name, $"{failures.Count} of {connections} connections failed to open/authenticate; first: {failures.First()}");

            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
            var rssAfter = service.Process.RssBytes() ?? 0;
            report.Add(Name, "service VmRSS before (idle, no clients)", Report.MiB(rssBefore));
            report.Add(Name, $"service VmRSS with {idle.Count} idle authenticated connections", Report.MiB(rssAfter));
            report.Add(Name, "VmRSS per connection", idle.Count == 0 ? "n/a" : Report.KiB((rssAfter - rssBefore) / (double)idle.Count));
            report.Add(Name, "service threads before / after", $"{threadsBefore} / {service.Process.Threads()}");

            // One more connection: does a ping still answer quickly with the 1000 open?
            probe = await service.ConnectAsync(cancellation);
            var probeRecorder = new LatencyRecorder(ProbePings);
            var firstPing = TimeSpan.Zero;
            for (var i = 0; i < ProbePings; i++)
            {
                var reply = await probe.CallAsync("ping", null, false, RunningService.CallTimeout, cancellation);
                if (!reply.IsPong) { report.Observe(Name, $"probe ping {i}: error {reply.ErrorCode} {reply.ErrorMessage}"); continue; }
                if (i == 0) firstPing = reply.Latency;
                probeRecorder.Add(reply.ReceivedAt - reply.SentAt);
            }
            var probeSummary = LatencyRecorder.Summarize([probeRecorder]);
            report.Add(Name, $"ping on connection #{idle.Count + 1}: first / p50 / max of {ProbePings}", $"{Report.Ms(firstPing)} / {Report.Ms(probeSummary.Percentile(50))} / {Report.Ms(probeSummary.Max)}");

            // Hold them for the duration, sampling memory and watching for dropped connections.
            Console.Error.WriteLine($"  idle: holding for {options.DurationSeconds} s");
            var peak = rssAfter;
            var holdCpuBefore = ProcessTree.Read(service.Process.Pid);
            var holdStarted = Stopwatch.GetTimestamp();
            var holdUntil = Stopwatch.GetTimestamp() + options.DurationSeconds * Stopwatch.Frequency;
            for (var tick = 0; tick < options.DurationSeconds + 5 && Stopwatch.GetTimestamp() < holdUntil; tick++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                peak = Math.Max(peak, service.Process.RssBytes() ?? 0);
            }
            // What the quiet connections cost in CPU: their keep-alive pings (server.ping_interval) and
            // nothing else; a timer per connection shows here.
            var holdCpuAfter = ProcessTree.Read(service.Process.Pid);
            var held = Stopwatch.GetElapsedTime(holdStarted);
            if (holdCpuBefore is not null && holdCpuAfter is not null)
            {
                var used = holdCpuAfter.Cpu - holdCpuBefore.Cpu;
                report.Add(Name, $"service CPU while holding {idle.Count} idle connections, over {held.TotalSeconds:0} s",
                    $"{Report.Number(used.TotalMilliseconds)} ms = {used.TotalSeconds / held.TotalSeconds * 100:0.000} % of a core");
            }
            var dropped = idle.Where(c => !c.IsOpen).ToList();
            report.Add(Name, $"connections dropped while idle ({options.DurationSeconds} s)", Report.Number(dropped.Count));
            if (dropped.Count > 0) report.Observe(Name, $"{dropped.Count} idle connection(s) ended; first: {dropped[0].EndReason}");
            report.Add(Name, "service VmRSS peak while holding", Report.MiB(peak));

            // Every idle connection should still answer.
            var answered = 0;
            var late = new ConcurrentQueue<string>();
            var sweep = new ConcurrentBag<long>();
            await Parallel.ForEachAsync(idle, new ParallelOptions { MaxDegreeOfParallelism = OpenConcurrency, CancellationToken = cancellation }, async (client, token) =>
            {
                try
                {
                    var reply = await client.CallAsync("ping", null, false, RunningService.CallTimeout, token);
                    if (reply.IsPong) { Interlocked.Increment(ref answered); sweep.Add(reply.ReceivedAt - reply.SentAt); }
                    else late.Enqueue($"error {reply.ErrorCode} {reply.ErrorMessage}");
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested) { late.Enqueue($"{ex.GetType().Name}: {ex.Message}"); }
            });
            var sweepRecorder = new LatencyRecorder(sweep.Count);
            foreach (var t in sweep) sweepRecorder.Add(t);
            var sweepSummary = LatencyRecorder.Summarize([sweepRecorder]);
            report.Add(Name, $"idle connections answering a ping after the hold ({OpenConcurrency} at a time)", $"{answered} of {idle.Count} (p50 {Report.Ms(sweepSummary.Percentile(50))}, max {Report.Ms(sweepSummary.Max)})");
            if (!late.IsEmpty) report.Observe(Name, $"{late.Count} idle connection(s) did not answer the final ping; first: {late.First()}");

            using (var metrics = await RunningService.MetricsAsync(probe, cancellation))
            {
                if (metrics is not null)
                    report.Add(Name, "server-side active_connections (get_metrics)", Report.Number(metrics.RootElement.GetProperty("result").GetProperty("active_connections").GetInt64()));
            }

            // Shut down with everything open: how long, and do the clients get a close frame?
            var open = idle.Count(c => c.IsOpen) + (probe.IsOpen ? 1 : 0);
            await service.StopAsync(report, Name, $"{open} connections open", cancellation);
            var settle = Stopwatch.GetTimestamp();
            while (idle.Any(c => c.IsOpen) && Stopwatch.GetElapsedTime(settle) < TimeSpan.FromSeconds(5))
                await Task.Delay(50, cancellation);
            var all = idle.Append(probe).ToList();
            var closedCleanly = all.Count(c => c.EndReason?.StartsWith("closed by server", StringComparison.Ordinal) == true);
            report.Add(Name, "clients that got a close frame on shutdown", $"{closedCleanly} of {all.Count}");
            var reasons = all.GroupBy(c => c.EndReason ?? "still open").OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()}× {g.Key}");
            if (closedCleanly < all.Count) report.Observe(Name, "on shutdown: " + string.Join("; ", reasons));
        }
        finally
        {
            service.Process.Dispose(); // kill first, so closing 1000 clients does not wait on a live server
            var clients = idle.ToList();
            if (probe is not null) clients.Add(probe);
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    // The service alone, no client connected (and no MediaMTX: the load client starts none): CPU used
    // over the measured window, from /proc (utime + stime, 10 ms ticks). An idle appliance should
    // sleep; whatever wakes it on a timer shows here.
    private async Task MeasureIdleCpuAsync(RunningService service, Options options, Report report, CancellationToken cancellation)
    {
        var window = TimeSpan.FromSeconds(Math.Max(30, options.DurationSeconds));
        var before = ProcessTree.Read(service.Process.Pid);
        await Task.Delay(window, cancellation);
        var after = ProcessTree.Read(service.Process.Pid);
        if (before is null || after is null) { report.Observe(Name, "idle CPU: the service exited"); return; }
        var used = after.Cpu - before.Cpu;
        report.Add(Name, $"service CPU with no client and no MediaMTX, over {window.TotalSeconds:0} s",
            $"{Report.Number(used.TotalMilliseconds)} ms = {used.TotalSeconds / window.TotalSeconds * 100:0.000} % of a core");
    }
}
