using System.Globalization;

namespace Appliance.Tests.Vm;

/// <summary>
/// How busy the VM guest is while a test runs: the CPU busy share from /proc/stat and the lowest
/// MemAvailable from /proc/meminfo, sampled once a second (the same two figures the service's
/// resource guard reads). Recorded beside the scale test's results so a refusal by that guard, or an
/// out-of-memory kill, can be told from a service fault.
/// </summary>
public sealed class GuestLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private readonly List<double> _busy = [];
    private long _minAvailableKb = long.MaxValue;

    private readonly Dictionary<int, (string Comm, long Ticks)> _startTicks = ProcessTicks();

    private GuestLoad() => _sampler = Task.Run(SampleAsync);

    public static GuestLoad Start() => new();

    public double MeanBusyPercent { get { lock (_busy) return _busy.Count == 0 ? 0 : _busy.Average(); } }
    public double MaxBusyPercent { get { lock (_busy) return _busy.Count == 0 ? 0 : _busy.Max(); } }
    public long MinAvailableMb => _minAvailableKb == long.MaxValue ? -1 : _minAvailableKb / 1024;

    public override string ToString() =>
        $"guest CPU busy mean {MeanBusyPercent:F0} %, max {MaxBusyPercent:F0} % (1 s samples); MemAvailable min {MinAvailableMb} MB; CPU s by process name: {CpuByName()}";

    /// <summary>CPU seconds (user + system) since the start by command name, the largest first, of the
    /// processes alive now (one that has exited is not counted: its time went to its parent's cutime).</summary>
    public string CpuByName()
    {
        var ticksPerSecond = 100.0; // USER_HZ: 100 on every Linux architecture the appliance runs on
        var byName = new Dictionary<string, (long Ticks, int Count)>();
        foreach (var (pid, (comm, ticks)) in ProcessTicks())
        {
            var since = _startTicks.TryGetValue(pid, out var s) && s.Comm == comm ? ticks - s.Ticks : ticks;
            var name = comm.StartsWith("kworker", StringComparison.Ordinal) ? "kworker" : comm;
            byName[name] = byName.TryGetValue(name, out var t) ? (t.Ticks + since, t.Count + 1) : (since, 1);
        }
        return string.Join(", ", byName.Where(kv => kv.Value.Ticks >= 50).OrderByDescending(kv => kv.Value.Ticks)
            .Select(kv => $"{kv.Key} x{kv.Value.Count} {kv.Value.Ticks / ticksPerSecond:F0}"));
    }

    // pid -> (comm, utime + stime in clock ticks) from /proc/<pid>/stat (comm is in parentheses and may hold spaces).
    private static Dictionary<int, (string Comm, long Ticks)> ProcessTicks()
    {
        var result = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(dir + "/stat"); }
            catch (IOException) { continue; } // exited meanwhile
            catch (UnauthorizedAccessException) { continue; }
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            if (open < 0 || close < open) continue;
            var rest = stat[(close + 2)..].Split(' ');
            // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based), so 11 and 12 here.
            result[pid] = (stat[(open + 1)..close], long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture));
        }
        return result;
    }

    private async Task SampleAsync()
    {
        var (busy0, total0) = ReadCpu();
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(1000, _stop.Token); } catch (OperationCanceledException) { return; }
            var (busy, total) = ReadCpu();
            if (total > total0) lock (_busy) _busy.Add(100.0 * (busy - busy0) / (total - total0));
            (busy0, total0) = (busy, total);
            _minAvailableKb = Math.Min(_minAvailableKb, MemAvailableKb());
        }
    }

    // The aggregate "cpu" line: user nice system idle iowait irq softirq steal ...; idle and iowait are not busy.
    private static (long Busy, long Total) ReadCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        return (total - fields[3] - fields[4], total);
    }

    private static long MemAvailableKb()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampler;
        _stop.Dispose();
    }
}
