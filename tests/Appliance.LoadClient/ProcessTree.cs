using System.Globalization;

namespace Appliance.LoadClient;

/// <summary>One process as /proc shows it: CPU ticks (utime + stime, USER_HZ), VmRSS, Pss (shared pages
/// divided among the processes that map them, so sums over processes are meaningful), command line.</summary>
public sealed record ProcInfo(int Pid, int ParentPid, string Comm, long CpuTicks, long RssBytes, long PssBytes, string CommandLine)
{
    public TimeSpan Cpu => TimeSpan.FromSeconds(CpuTicks / 100.0); // USER_HZ is 100 on Linux
}

/// <summary>
/// The processes below a pid. Uses /proc/PID/task/TID/children when the kernel has it
/// (CONFIG_PROC_CHILDREN), otherwise one pass over /proc/[0-9]*/stat for parent pids.
/// Bounded in depth and count; processes that vanish while being read are skipped.
/// </summary>
public static class ProcessTree
{
    private const int MaxDepth = 8;
    private const int MaxProcesses = 4096;

    /// <summary>True when the kernel lists children per task (otherwise the /proc scan is used).</summary>
    public static bool HasChildrenFiles { get; } = File.Exists($"/proc/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/task/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/children");

    /// <summary>Kills <paramref name="process"/> and everything below it if it still runs (waiting up to 5 s),
    /// then disposes it: how every server the load client started ends.</summary>
    public static void KillAndDispose(System.Diagnostics.Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException) { }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>All descendants of <paramref name="root"/> (not the root itself), skipping the subtrees of <paramref name="exclude"/>.</summary>
    public static List<ProcInfo> Descendants(int root, IReadOnlySet<int>? exclude = null)
    {
        var parentOf = HasChildrenFiles ? null : ParentMap();
        var result = new List<ProcInfo>();
        var frontier = new List<int> { root };
        for (var depth = 0; depth < MaxDepth && frontier.Count > 0 && result.Count < MaxProcesses; depth++)
        {
            var next = new List<int>();
            foreach (var pid in frontier)
            {
                foreach (var child in Children(pid, parentOf))
                {
                    if (exclude?.Contains(child) == true) continue;
                    if (Read(child) is not { } info) continue;
                    result.Add(info);
                    next.Add(child);
                    if (result.Count >= MaxProcesses) break;
                }
            }
            frontier = next;
        }
        return result;
    }

    /// <summary>One process, or null once it has gone.</summary>
    public static ProcInfo? Read(int pid)
    {
        var dir = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            var stat = File.ReadAllText(dir + "/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var comm = stat[(open + 1)..close];
            // Fields after the command name: state(0) ppid(1) ... utime(11) stime(12).
            var fields = stat[(close + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            long rss = 0;
            foreach (var line in File.ReadLines(dir + "/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                rss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                break;
            }
            long pss = 0;
            foreach (var line in File.ReadLines(dir + "/smaps_rollup"))
            {
                if (!line.StartsWith("Pss:", StringComparison.Ordinal)) continue;
                pss = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                break;
            }
            var cmdline = File.ReadAllText(dir + "/cmdline").Replace('\0', ' ').Trim();
            return new ProcInfo(pid, ppid, comm, ticks, rss, pss, cmdline);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>cutime + cstime: CPU of the children the process has already reaped (they no longer show in the tree).</summary>
    public static TimeSpan? ReapedChildrenCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return TimeSpan.FromSeconds((long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static IEnumerable<int> Children(int pid, Dictionary<int, List<int>>? parentOf)
    {
        if (parentOf is not null) return parentOf.TryGetValue(pid, out var list) ? list : [];
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                var text = File.ReadAllText(Path.Combine(task, "children"));
                foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var child)) children.Add(child);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        return children;
    }

    private static Dictionary<int, List<int>> ParentMap()
    {
        var map = new Dictionary<int, List<int>>();
        var seen = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (++seen > 65536) break;
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(dir + "/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!map.TryGetValue(ppid, out var list)) map[ppid] = list = [];
                list.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException) { }
        }
        return map;
    }
}
