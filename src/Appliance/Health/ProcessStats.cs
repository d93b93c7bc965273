using System.Diagnostics;

namespace Appliance.Health;

/// <summary>Memory and CPU of this process, for get_metrics. CPU is the share of one core used
/// since the previous call (so a dashboard polling every few seconds sees the recent load).</summary>
public sealed class ProcessStats
{
    private readonly Lock _gate = new();
    private TimeSpan _lastCpu;
    private long _lastTimestamp = Stopwatch.GetTimestamp();

    public ProcessStats()
    {
        using var self = Process.GetCurrentProcess();
        _lastCpu = self.TotalProcessorTime;
    }

    public (long RssBytes, double CpuPercent, int Threads) Sample()
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var now = Stopwatch.GetTimestamp();
        double percent;
        lock (_gate)
        {
            var wall = Stopwatch.GetElapsedTime(_lastTimestamp, now);
            percent = wall.TotalMilliseconds <= 0 ? 0 : (cpu - _lastCpu).TotalMilliseconds / wall.TotalMilliseconds * 100;
            _lastCpu = cpu;
            _lastTimestamp = now;
        }
        return (self.WorkingSet64, Math.Round(percent, 2), self.Threads.Count);
    }
}
