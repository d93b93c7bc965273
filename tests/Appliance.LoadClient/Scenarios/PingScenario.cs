using System.Diagnostics;
using System.Text.Json;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// ping: 1 and then 50 concurrent authenticated clients, each sending ping back-to-back (one
/// outstanding per client): 2 s warm-up, then the measured window. Reports p50/p99/max latency,
/// throughput, errors, and the CPU the service and the client used (they share the machine).
/// </summary>
public sealed class PingScenario : IScenario
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private const long MaxRequestsPerClient = 50_000_000;
    private static readonly int[] ClientCounts = [1, 50];

    public string Name => "ping";

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        await using var service = await RunningService.StartAsync(options.Binary, cancellation);
        foreach (var clients in ClientCounts)
            await RunAsync(service, clients, TimeSpan.FromSeconds(options.DurationSeconds), report, cancellation);

        await using (var admin = await service.ConnectAsync(cancellation))
        using (var metrics = await RunningService.MetricsAsync(admin, cancellation))
        {
            if (metrics is not null)
            {
                var result = metrics.RootElement.GetProperty("result");
                report.Add(Name, "server-side: total requests / error rate (get_metrics)",
                    $"{Report.Number(result.GetProperty("total_requests").GetInt64())} / {result.GetProperty("error_rate").GetDouble()}");
                if (result.GetProperty("methods").TryGetProperty("ping", out var ping))
                {
                    var ms = ping.GetProperty("average_ms").GetDouble();
                    report.Add(Name, "server-side: mean ping handling time (get_metrics)", ms > 0 ? Report.Ms(ms) : "< 0.0005 ms (get_metrics rounds to 0.001 ms)");
                }
            }
            else report.Observe(Name, "get_metrics failed");
        }
        if (service.Process.RssBytes() is { } rss) report.Add(Name, "service VmRSS after the ping runs", Report.MiB(rss));
        await service.StopAsync(report, Name, "after ping runs", cancellation);
    }

    private async Task RunAsync(RunningService service, int count, TimeSpan duration, Report report, CancellationToken cancellation)
    {
        var label = count == 1 ? "1 client" : $"{count} clients";
        Console.Error.WriteLine($"  ping: {label}, {WarmUp.TotalSeconds:0} s warm-up + {duration.TotalSeconds:0} s");
        var clients = new List<RpcClient>();
        try
        {
            for (var i = 0; i < count; i++) clients.Add(await service.ConnectAsync(cancellation));

            var recorders = clients.Select(_ => new LatencyRecorder(count == 1 ? 1_000_000 : 100_000)).ToArray();
            var errors = new long[count];
            var failures = new string?[count];
            var start = Stopwatch.GetTimestamp();
            var measureFrom = start + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
            var measureTo = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);

            // A client stuck past the window plus grace is aborted, which fails its pending ping.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(WarmUp + duration + Grace);
            using var abortAll = deadline.Token.Register(() => { foreach (var c in clients) c.Abort(); });

            long cpuMarkTaken = 0;
            TimeSpan? serviceCpuAtMeasure = null;
            TimeSpan selfCpuAtMeasure = default;
            MachineCpu? machineAtMeasure = null;
            var loops = clients.Select((client, i) => Task.Run(async () =>
            {
                long n = 0;
                try
                {
                    while (n++ < MaxRequestsPerClient)
                    {
                        var now = Stopwatch.GetTimestamp();
                        if (now >= measureTo) break;
                        if (now >= measureFrom && Interlocked.Exchange(ref cpuMarkTaken, 1) == 0)
                        {
                            serviceCpuAtMeasure = service.CpuTime();
                            selfCpuAtMeasure = Process.GetCurrentProcess().TotalProcessorTime;
                            machineAtMeasure = MachineCpu.Read();
                        }
                        var reply = await client.PingAsync(deadline.Token);
                        if (!reply.IsPong)
                        {
                            if (errors[i]++ == 0) failures[i] = $"error {reply.ErrorCode}: {reply.ErrorMessage}";
                        }
                        else if (reply.SentAt >= measureFrom && reply.SentAt < measureTo)
                        {
                            recorders[i].Add(reply.ReceivedAt - reply.SentAt, reply.SentAt);
                        }
                    }
                }
                catch (Exception ex)
                {
                    errors[i]++;
                    failures[i] = $"{ex.GetType().Name}: {ex.Message} ({client.EndReason})";
                }
            })).ToArray();
            await Task.WhenAll(loops);
            var elapsedMeasured = Stopwatch.GetElapsedTime(measureFrom, Math.Min(Stopwatch.GetTimestamp(), measureTo));
            var cpuAfter = service.CpuTime();
            var selfAfter = Process.GetCurrentProcess().TotalProcessorTime;
            var machineAfter = MachineCpu.Read();

            var summary = LatencyRecorder.Summarize(recorders);
            var seconds = duration.TotalSeconds;
            report.Add(Name, $"{label}: requests in {seconds:0} s", Report.Number(summary.Count));
            report.Add(Name, $"{label}: throughput", Report.Number(summary.Count / seconds) + " req/s");
            report.Add(Name, $"{label}: latency p50 / p99 / max", $"{Report.Ms(summary.Percentile(50))} / {Report.Ms(summary.Percentile(99))} / {Report.Ms(summary.Max)}");
            report.Add(Name, $"{label}: latency p99.9", Report.Ms(summary.Percentile(99.9)));
            var (slowCount, slowWindows) = LatencyRecorder.SlowReplies(recorders);
            report.Add(Name, $"{label}: replies slower than 10 ms (distinct 100 ms windows)", $"{Report.Number(slowCount)} ({slowWindows})");
            if (serviceCpuAtMeasure is { } sc && cpuAfter is { } ca && elapsedMeasured > TimeSpan.Zero)
            {
                var serviceCores = (ca - sc) / elapsedMeasured;
                var clientCores = (selfAfter - selfCpuAtMeasure) / elapsedMeasured;
                report.Add(Name, $"{label}: CPU used, service / load client (cores)", $"{serviceCores:0.00} / {clientCores:0.00}");
            }
            if (machineAtMeasure is { } m0 && machineAfter is { } m1)
                report.Add(Name, $"{label}: machine CPU busy (of which softirq) / steal", $"{m1.BusyShareSince(m0):P0} ({m1.SoftIrqShareSince(m0):P0}) / {m1.StealShareSince(m0):P0} of {Environment.ProcessorCount} cores");

            var totalErrors = errors.Sum();
            report.Add(Name, $"{label}: errors", Report.Number(totalErrors));
            if (totalErrors > 0)
                report.Observe(Name, $"{label}: {totalErrors} failed ping(s); first: {failures.First(f => f is not null)}");
            var unsolicited = clients.Sum(c => c.Unsolicited);
            if (unsolicited > 0) report.Observe(Name, $"{label}: {unsolicited} reply/replies matched no outstanding request");
            var closed = clients.Count(c => !c.IsOpen);
            if (closed > 0) report.Observe(Name, $"{label}: {closed} connection(s) ended during the run; first: {clients.First(c => !c.IsOpen).EndReason}");
            if (recorders.Any(r => r.Full)) report.Observe(Name, $"{label}: a client hit the {LatencyRecorder.MaxSamples} sample cap; later samples not recorded");
            if (count > 1)
            {
                var perClient = recorders.Select(r => r.Count).ToArray();
                report.Add(Name, $"{label}: requests per client, min / max", $"{Report.Number(perClient.Min())} / {Report.Number(perClient.Max())}");
            }
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
