using System.Diagnostics;
using System.Globalization;

namespace Appliance.Resources;

/// <summary>
/// Reads what the box has to spare from /proc, on demand only: nothing runs while nobody asks, so
/// an idle box spends no CPU on it.
/// <list type="bullet">
/// <item>CPU pressure: the kernel's PSI (<c>/proc/pressure/cpu</c>, "some avg10"), the share of the
/// last 10 s in which runnable tasks waited for a CPU. It answers "is anyone starving?" at once and
/// already averaged, where a busy share says only "is the CPU in use?" (a box at 100 % with one
/// task per core starves nobody).</item>
/// <item>CPU busy share: from two readings of <c>/proc/stat</c>; how much of a core is left for new
/// work such as a transcode. The previous reading is kept, and when it is too old (or too fresh) to
/// describe "now", a fresh window of <see cref="Window"/> is taken; callers at the same moment share it.</item>
/// <item>Memory: the kernel's MemAvailable estimate (what it could hand out without swapping).</item>
/// </list>
/// </summary>
public sealed class MachineLoad(string procRoot = "/proc")
{
    /// <summary>The window a fresh busy share is computed over: /proc/stat counts 10 ms ticks, so half a
    /// second gives 50 ticks per core, enough to smooth a momentary spike.</summary>
    internal static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);
    /// <summary>A previous reading older than this describes the past, not now.</summary>
    internal static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private (long At, CpuTicks Ticks)? _last;
    private (long At, double Busy)? _lastBusy;
    private Task<double>? _measuring;

    /// <summary>PSI "some avg10" in percent, or null where the kernel has no PSI (CONFIG_PSI off, or psi=0).</summary>
    public double? CpuPressurePercent()
    {
        try
        {
            // some avg10=1.23 avg60=0.50 avg300=0.10 total=12345
            foreach (var line in File.ReadLines(Path.Combine(procRoot, "pressure", "cpu")))
            {
                if (!line.StartsWith("some ", StringComparison.Ordinal)) continue;
                var field = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(f => f.StartsWith("avg10=", StringComparison.Ordinal));
                if (field is not null && double.TryParse(field.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException) { }
        return null;
    }

    /// <summary>The kernel's MemAvailable in MiB; <see cref="long.MaxValue"/> when it cannot be read (never refuse on a guess).</summary>
    public long MemoryAvailableMb()
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(procRoot, "meminfo")))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line.AsSpan("MemAvailable:".Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                return kb / 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return long.MaxValue;
    }

    /// <summary>Share of all CPUs' time spent not idle (0–100) over the last moment (see the class notes).</summary>
    public Task<double> CpuBusyPercentAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            // Asked again within one window: the answer cannot have changed much.
            if (_lastBusy is { } b && Stopwatch.GetElapsedTime(b.At, now) < Window) return Task.FromResult(b.Busy);
            if (_measuring is { IsCompleted: false } running) return running.WaitAsync(ct);
            if (_last is { } l && Stopwatch.GetElapsedTime(l.At, now) is var age && age >= Window && age <= Stale)
                return Task.FromResult(Take(now, ReadCpu(), l.Ticks));
            _measuring = MeasureFreshAsync();
            return _measuring.WaitAsync(ct);
        }
    }

    private async Task<double> MeasureFreshAsync()
    {
        var first = ReadCpu();
        await Task.Delay(Window).ConfigureAwait(false);
        lock (_gate) return Take(Stopwatch.GetTimestamp(), ReadCpu(), first);
    }

    private double Take(long now, CpuTicks ticks, CpuTicks before)
    {
        var total = ticks.Total - before.Total;
        var busy = total <= 0 ? 0 : Math.Clamp(100.0 * (total - (ticks.Idle - before.Idle)) / total, 0, 100);
        _last = (now, ticks);
        _lastBusy = (now, busy);
        return busy;
    }

    private readonly record struct CpuTicks(long Total, long Idle);

    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": guest time is already
    // inside user, so only the first eight count; idle and iowait are both "not busy".
    private CpuTicks ReadCpu()
    {
        try
        {
            using var reader = new StreamReader(Path.Combine(procRoot, "stat"));
            var f = (reader.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long total = 0;
            for (var i = 1; i < Math.Min(f.Length, 9); i++) total += long.Parse(f[i], CultureInfo.InvariantCulture);
            return new CpuTicks(total, long.Parse(f[4], CultureInfo.InvariantCulture) + (f.Length > 5 ? long.Parse(f[5], CultureInfo.InvariantCulture) : 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return default; // no /proc: every window reads 0 % busy, so the guard never refuses for CPU on a guess
        }
    }
}
