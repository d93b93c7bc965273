using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// startup: binary size; process start to READY=1 on NOTIFY_SOCKET (5 runs: median, max);
/// VmRSS 2 s after READY; the first connect+authenticate+ping after that; SIGTERM to exit.
/// </summary>
public sealed class StartupScenario : IScenario
{
    private const int Runs = 5;
    public string Name => "startup";

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        var size = new FileInfo(options.Binary).Length;
        report.Add(Name, $"AOT binary size ({RuntimeInformation.RuntimeIdentifier}, stripped)", $"{Report.MiB(size)} ({Report.Number(size)} bytes)");

        var ready = new List<double>();
        var rss = new List<long>();
        var threads = new List<int>();
        var firstCall = new List<double>();
        var stops = new List<double>();
        using var config = await ServiceConfig.CreateAsync(options.Binary, cancellation);
        for (var run = 1; run <= Runs; run++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var service = ServiceProcess.Start(config);
            var toReady = await service.WaitReadyAsync(RunningService.ReadyTimeout, cancellation);
            ready.Add(toReady.TotalMilliseconds);
            Console.Error.WriteLine($"  startup run {run}: READY=1 after {Report.Ms(toReady)}");

            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
            if (service.RssBytes() is { } r) rss.Add(r);
            if (service.Threads() is { } t) threads.Add(t);

            // The first request after READY: proves READY means "accepting", and what a first client waits.
            var started = Stopwatch.GetTimestamp();
            await using (var client = await RpcClient.ConnectAsync(config.WebSocketUri, RunningService.CallTimeout, cancellation))
            {
                await client.AuthenticateAsync(config.AdminToken, RunningService.CallTimeout, cancellation);
                var pong = await client.CallAsync("ping", null, false, RunningService.CallTimeout, cancellation);
                if (!pong.IsPong) report.Observe(Name, $"run {run}: first ping did not return pong ({pong.ErrorCode} {pong.ErrorMessage})");
                firstCall.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            var stop = await service.TerminateAsync(TimeSpan.FromSeconds(30), cancellation);
            if (stop is { } s)
            {
                stops.Add(s.Elapsed.TotalMilliseconds);
                if (s.ExitCode != 0) report.Observe(Name, $"run {run}: exit code {s.ExitCode} after SIGTERM");
                if (!service.Notify.Stopping.IsCompleted) report.Observe(Name, $"run {run}: no STOPPING=1 on SIGTERM");
            }
            else
            {
                report.Observe(Name, $"run {run}: no exit within 30 s of SIGTERM; killed");
            }
            if (service.LogLineCount > 0)
                report.Observe(Name, $"run {run}: service wrote {service.LogLineCount} line(s), first: `{service.Log[0]}`");
            if (run == 1)
            {
                var first = service.Notify.Messages.FirstOrDefault(m => m.Contains("READY=1", StringComparison.Ordinal));
                if (first is not null) report.Add(Name, "READY datagram", "`" + first.Replace("\n", "\\n", StringComparison.Ordinal) + "`");
            }
        }

        report.Add(Name, $"start to READY=1, median of {Runs}", Report.Ms(Median(ready)));
        report.Add(Name, $"start to READY=1, max of {Runs}", Report.Ms(ready.Max()));
        report.Add(Name, "start to READY=1, all runs", string.Join(", ", ready.Select(Report.Ms)));
        if (rss.Count > 0)
            report.Add(Name, $"idle VmRSS 2 s after READY, median of {rss.Count} (min–max)", $"{Report.MiB(Median(rss))} ({Report.MiB(rss.Min())}–{Report.MiB(rss.Max())})");
        if (threads.Count > 0) report.Add(Name, "idle threads", Report.Number(Median(threads)));
        report.Add(Name, "first connect + authenticate + ping after READY, median", Report.Ms(Median(firstCall)));
        if (stops.Count > 0) report.Add(Name, "SIGTERM to exit (no clients), median", Report.Ms(Median(stops)));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    private static long Median(List<long> values) => values.Order().ElementAt(values.Count / 2);
    private static int Median(List<int> values) => values.Order().ElementAt(values.Count / 2);
}
