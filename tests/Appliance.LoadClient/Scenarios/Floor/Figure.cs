using System.Globalization;

namespace Appliance.LoadClient.Scenarios.Floor;

/// <summary>The figures issue 19 compares between the service and the floor.</summary>
public enum Figure
{
    FirstHandshake,
    IdleRss,
    IdleCpu,
    IdleCpuTicks,
    MemoryPerConnection,
    SinglePingThroughput,
    CpuPerPing,
    ConcurrentPingThroughput,
    ConcurrentPingP99,
}

/// <summary>How a figure is titled and printed. Values are stored in the unit named here.</summary>
public sealed record FigureInfo(Figure Figure, string Title, string Unit, Func<double, string> Format, string? Note = null)
{
    private static string Fixed(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    public static IReadOnlyList<FigureInfo> All(Options options) =>
    [
        new(Figure.FirstHandshake, "start → first WebSocket handshake", "ms", v => Fixed(v, "0.0") + " ms",
            "From spawning the process (under taskset) until a WebSocket connect to it first succeeds; a connect is tried every 5 ms."),
        new(Figure.IdleRss, "idle VmRSS 5 s after start", "MiB", v => Fixed(v, "0.0") + " MiB", "No client connected (the handshake probe has closed)."),
        new(Figure.IdleCpu, $"idle CPU over {options.FloorIdleSeconds} s, no client", "% of a core",
            v => $"{Fixed(v, "0.0000")} % ({Fixed(v / 100 * options.FloorIdleSeconds * 1000, "0.00")} ms)",
            "The server's run time over the window from /proc/PID/task/*/schedstat (ns per thread, summed), from 5 s after start. " +
            "utime + stime, the next table, is the same time in 10 ms ticks: too coarse for an idle server."),
        new(Figure.IdleCpuTicks, $"idle CPU over {options.FloorIdleSeconds} s, no client, utime + stime", "% of a core",
            v => $"{Fixed(v, "0.000")} % ({Fixed(v / 100 * options.FloorIdleSeconds * 1000, "0")} ms)",
            "utime + stime from /proc/PID/stat over the same window; they count in 10 ms ticks, so 0 here means under one tick."),
        new(Figure.MemoryPerConnection, $"VmRSS per idle authenticated connection ({options.Connections} connections)", "KiB", v => Fixed(v, "0.0") + " KiB",
            $"(VmRSS 2 s after {options.Connections} connections were opened and authenticated, 50 at a time − VmRSS just before) / connections."),
        new(Figure.SinglePingThroughput, "1 client × 2,000 sequential pings: throughput", "req/s", v => Fixed(v, "#,0") + " req/s",
            "After 100 warm-up pings on the same connection. Higher is better: a ratio below 1 means the service is slower."),
        new(Figure.CpuPerPing, "1 client × 2,000 sequential pings: server CPU per request", "µs", v => Fixed(v, "0.0") + " µs",
            "Server utime + stime over the 2,000 pings / 2,000 (10 ms ticks: ±5 µs per request)."),
        new(Figure.ConcurrentPingThroughput, "50 clients × 200 pings (one outstanding per client): throughput", "req/s", v => Fixed(v, "#,0") + " req/s",
            "10,000 pings from the moment all 50 start until the last reply. Higher is better."),
        new(Figure.ConcurrentPingP99, "50 clients × 200 pings: latency p99", "ms", v => Fixed(v, "0.000") + " ms", "Exact percentile over the 10,000 replies."),
    ];
}
