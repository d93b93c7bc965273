using System.Diagnostics;
using System.Globalization;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>The processes of one kind (recorders, publishers...) over the measured window: per pid
/// the first and last sample (CPU delta) and the peak VmRSS and Pss.</summary>
public sealed class ProcessGroup(string label)
{
    private readonly Dictionary<int, (ProcInfo First, ProcInfo Last, long PeakRss, long PeakPss)> _seen = [];
    private long _peakRssSum, _peakPssSum;

    public string Label { get; } = label;
    public int Count => _seen.Count;

    public void Observe(IReadOnlyList<ProcInfo> now)
    {
        foreach (var p in now)
        {
            _seen[p.Pid] = _seen.TryGetValue(p.Pid, out var s) && s.First.Comm == p.Comm
                ? (s.First, p, Math.Max(s.PeakRss, p.RssBytes), Math.Max(s.PeakPss, p.PssBytes))
                : (p, p, p.RssBytes, p.PssBytes);
        }
        _peakRssSum = Math.Max(_peakRssSum, now.Sum(p => p.RssBytes));
        _peakPssSum = Math.Max(_peakPssSum, now.Sum(p => p.PssBytes));
    }

    /// <summary>"n processes; CPU per process mean / max (total); VmRSS per process max; Pss per process mean / max (peak sum)".</summary>
    public string Summary(double seconds)
    {
        if (_seen.Count == 0) return "none seen";
        // CPU from the first to the last sample of each pid: processes present the whole window count fully.
        var cpu = _seen.Values.Select(s => (s.Last.Cpu - s.First.Cpu).TotalSeconds / seconds).ToList();
        var pss = _seen.Values.Select(s => s.PeakPss).ToList();
        return $"{_seen.Count} process(es); CPU per process mean {Cores(cpu.Average())}, max {Cores(cpu.Max())} (total {Cores(cpu.Sum())}); " +
            $"VmRSS per process max {Report.MiB(_seen.Values.Max(s => s.PeakRss))} (peak sum {Report.MiB(_peakRssSum)}); " +
            $"Pss per process mean {Report.MiB((long)pss.Average())}, max {Report.MiB(pss.Max())} (peak sum {Report.MiB(_peakPssSum)})";
    }

    public static string Cores(double c) => c.ToString("0.000", CultureInfo.InvariantCulture) + " cores";
}

/// <summary>
/// Samples /proc every <see cref="Period"/> during the measured window: the service itself (VmRSS,
/// Pss, CPU), its long-lived FFmpeg children (recorders), the stand-in's publishers and relay (children
/// of this process), the CPU of reaped short-lived children (snapshot FFmpegs of the service, bare
/// FFmpeg reads of this client) through cutime/cstime, and the machine. It also keeps the argument list
/// of the first snapshot FFmpeg the service is seen running, so the bare reads can use exactly it.
/// </summary>
public sealed class ProcessSampler(int servicePid)
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);
    private readonly HashSet<int> _exclude = [servicePid];

    public ProcessGroup Recorders { get; } = new("recorders");
    public ProcessGroup Publishers { get; } = new("publishers");
    public ProcessGroup Relay { get; } = new("relay");
    public long ServiceRssStart { get; private set; }
    public long ServiceRssPeak { get; private set; }
    public long ServicePssPeak { get; private set; }
    public long ServiceRssEnd { get; private set; }
    /// <summary>The service's VmRSS split at its peak sample: anonymous memory (heap, stacks) and file pages (the binary, libraries).</summary>
    public (long Anon, long File) ServiceRssPeakSplit { get; private set; }
    public int Samples { get; private set; }
    public int MaxSnapshotFfmpegsAtOnce { get; private set; }
    public int MinRecordersAtOnce { get; private set; } = int.MaxValue;
    public TimeSpan Elapsed { get; private set; }
    public TimeSpan ServiceCpu { get; private set; }
    public TimeSpan ServiceReapedCpu { get; private set; }
    public TimeSpan OwnCpu { get; private set; }
    public TimeSpan OwnReapedCpu { get; private set; }
    public MachineCpu? MachineStart { get; private set; }
    public MachineCpu? MachineEnd { get; private set; }

    /// <summary>The service's own snapshot FFmpeg command line (from /proc/PID/cmdline), once seen.</summary>
    public IReadOnlyList<string>? ServiceSnapshotArguments { get; private set; }

    public async Task RunAsync(TimeSpan window, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        var service0 = ProcessTree.Read(servicePid);
        var reaped0 = ProcessTree.ReapedChildrenCpu(servicePid) ?? TimeSpan.Zero;
        var own0 = Process.GetCurrentProcess().TotalProcessorTime;
        var ownReaped0 = ProcessTree.ReapedChildrenCpu(Environment.ProcessId) ?? TimeSpan.Zero;
        MachineStart = MachineCpu.Read();
        ServiceRssStart = service0?.RssBytes ?? 0;
        Sample();
        var end = started + (long)(window.TotalSeconds * Stopwatch.Frequency);
        // Bounded: one sample per period until the window ends.
        for (var i = 0; i < (int)(window / Period) + 2 && Stopwatch.GetTimestamp() < end; i++)
        {
            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), end);
            await Task.Delay(left < Period ? left : Period, cancellation);
            Sample();
        }
        Elapsed = Stopwatch.GetElapsedTime(started);
        MachineEnd = MachineCpu.Read();
        var service1 = ProcessTree.Read(servicePid);
        ServiceCpu = service0 is { } a && service1 is { } b ? b.Cpu - a.Cpu : TimeSpan.Zero;
        ServiceReapedCpu = (ProcessTree.ReapedChildrenCpu(servicePid) ?? TimeSpan.Zero) - reaped0;
        OwnCpu = Process.GetCurrentProcess().TotalProcessorTime - own0;
        OwnReapedCpu = (ProcessTree.ReapedChildrenCpu(Environment.ProcessId) ?? TimeSpan.Zero) - ownReaped0;
        ServiceRssEnd = service1?.RssBytes ?? 0;
    }

    private void Sample()
    {
        Samples++;
        if (ProcessTree.Read(servicePid) is { } self)
        {
            if (self.RssBytes > ServiceRssPeak) ServiceRssPeakSplit = RssSplit(servicePid);
            ServiceRssPeak = Math.Max(ServiceRssPeak, self.RssBytes);
            ServicePssPeak = Math.Max(ServicePssPeak, self.PssBytes);
        }
        var children = ProcessTree.Descendants(servicePid).Where(p => p.Comm == "ffmpeg").ToList();
        var snapshots = children.Where(IsSnapshotRead).ToList();
        var recorders = children.Except(snapshots).ToList();
        Recorders.Observe(recorders);
        MinRecordersAtOnce = Math.Min(MinRecordersAtOnce, recorders.Count);
        MaxSnapshotFfmpegsAtOnce = Math.Max(MaxSnapshotFfmpegsAtOnce, snapshots.Count);
        if (ServiceSnapshotArguments is null && snapshots.Count > 0) ServiceSnapshotArguments = RawArguments(snapshots[0].Pid);

        var ours = ProcessTree.Descendants(Environment.ProcessId, _exclude);
        Publishers.Observe([.. ours.Where(IsPublisher)]);
        Relay.Observe([.. ours.Where(p => p.CommandLine.Contains("rtsp-relay.py", StringComparison.Ordinal))]);
    }

    private static (long Anon, long File) RssSplit(int pid)
    {
        long anon = 0, file = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kib(line);
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kib(line);
            }
        }
        catch (IOException) { }
        return (anon, file);

        static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public static bool IsSnapshotRead(ProcInfo p) => p.CommandLine.Contains("image2pipe", StringComparison.Ordinal);

    private static bool IsPublisher(ProcInfo p) => p.Comm == "ffmpeg" && p.CommandLine.Contains("-f rtsp", StringComparison.Ordinal);

    private static List<string>? RawArguments(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
            var args = raw.Split('\0', StringSplitOptions.None).ToList();
            if (args.Count > 0 && args[^1].Length == 0) args.RemoveAt(args.Count - 1);
            return args.Count > 1 ? args : null;
        }
        catch (IOException) { return null; }
    }
}
