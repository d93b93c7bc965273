using System.Diagnostics;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// The service's memory through the run, every <see cref="Period"/>: VmRSS from /proc and, from
/// get_metrics on an otherwise idle admin connection, the managed heap and the GC counts. Tells a
/// plateau (the GC's budget filled once) from growth that goes on (something kept).
/// </summary>
public sealed class MemoryTimeline(RunningService service, RpcClient admin)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    public List<(double Seconds, long Rss, long Heap, int Gen0, int Gen2)> Points { get; } = [];

    public async Task RunAsync(long until, CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        // Bounded by the deadline: one point per period.
        for (var i = 0; i < 10_000 && Stopwatch.GetTimestamp() < until; i++)
        {
            var rss = service.Process.RssBytes() ?? 0;
            using (var metrics = await RunningService.MetricsAsync(admin, cancellation))
            {
                var runtime = metrics?.RootElement.GetProperty("result").GetProperty("runtime");
                Points.Add((Stopwatch.GetElapsedTime(start).TotalSeconds, rss, runtime?.GetProperty("heap_bytes").GetInt64() ?? -1,
                    runtime?.GetProperty("gen0_collections").GetInt32() ?? -1, runtime?.GetProperty("gen2_collections").GetInt32() ?? -1));
            }
            var next = start + (long)((i + 1) * Period.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Math.Min(next, until));
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellation);
        }
    }

    /// <summary>"0 s 42.7/12.1 MiB (gen0 3, gen2 1), 10 s ...": VmRSS / managed heap.</summary>
    public string Render() => string.Join(", ", Points.Select(p =>
        $"{p.Seconds:0} s {(p.Rss / 1048576.0):0.0}/{(p.Heap / 1048576.0):0.0} MiB (gen0 {p.Gen0}, gen2 {p.Gen2})"));
}
