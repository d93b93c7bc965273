using System.Diagnostics;

namespace Appliance.LoadClient;

/// <summary>Latency samples (Stopwatch ticks) collected per client without locking, then merged
/// and sorted once for exact percentiles. Each recorder is capped so memory stays bounded.</summary>
public sealed class LatencyRecorder(int capacityHint)
{
    public const int MaxSamples = 20_000_000;
    private const int MaxSlowKept = 10_000;
    private static readonly long SlowTicks = Stopwatch.Frequency / 100; // 10 ms
    private readonly List<long> _ticks = new(capacityHint);
    private readonly List<(long SentAt, long Ticks)> _slow = [];

    public int Count => _ticks.Count;
    public bool Full => _ticks.Count >= MaxSamples;

    public void Add(long ticks) => Add(ticks, 0);

    /// <param name="sentAt">When the request was sent (Stopwatch timestamp), kept for replies slower than 10 ms.</param>
    public void Add(long ticks, long sentAt)
    {
        if (_ticks.Count < MaxSamples) _ticks.Add(ticks);
        if (ticks >= SlowTicks && _slow.Count < MaxSlowKept) _slow.Add((sentAt, ticks));
    }

    /// <summary>Replies slower than 10 ms across recorders, and how many distinct 100 ms windows they
    /// were sent in (many clients slow in one window = a stall of the whole service or machine).</summary>
    public static (int Count, int Windows) SlowReplies(IEnumerable<LatencyRecorder> recorders)
    {
        var slow = recorders.SelectMany(r => r._slow).ToList();
        var windows = slow.Select(s => s.SentAt / (Stopwatch.Frequency / 10)).Distinct().Count();
        return (slow.Count, windows);
    }

    public static LatencySummary Summarize(IEnumerable<LatencyRecorder> recorders)
    {
        var all = recorders.SelectMany(r => r._ticks).ToArray();
        Array.Sort(all);
        return new LatencySummary(all);
    }
}

public sealed class LatencySummary(long[] sortedTicks)
{
    public int Count => sortedTicks.Length;

    /// <summary>Nearest-rank percentile in milliseconds (p in 0..100).</summary>
    public double Percentile(double p)
    {
        if (sortedTicks.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p / 100 * sortedTicks.Length);
        return ToMs(sortedTicks[Math.Clamp(rank - 1, 0, sortedTicks.Length - 1)]);
    }

    public double Max => sortedTicks.Length == 0 ? double.NaN : ToMs(sortedTicks[^1]);

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
