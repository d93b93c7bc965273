using System.Globalization;

namespace Appliance.LoadClient.Scenarios.Floor;

/// <summary>
/// CPU time of a process to the nanosecond: the first field of /proc/PID/task/TID/schedstat per
/// thread (the scheduler's run time, from which the kernel derives utime + stime). utime + stime
/// count in 10 ms ticks, and an idle server uses less than one tick in 20–30 s: both the floor
/// and the service then read 0 and their ratio says nothing.
/// </summary>
public static class ThreadRunTime
{
    /// <summary>Run time per thread id in ns; null when the process has gone or the kernel has no schedstat.</summary>
    public static Dictionary<int, long>? Read(int pid)
    {
        var result = new Dictionary<int, long>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) continue;
                try
                {
                    var text = File.ReadAllText(Path.Combine(dir, "schedstat"));
                    result[tid] = long.Parse(text.AsSpan(0, text.IndexOf(' ')), CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException) { } // the thread ended meanwhile
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null;
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>Run time between two readings: per thread after − before, plus all of a thread born in
    /// between. A thread that ended in between takes its share of the window with it (idle thread-pool
    /// threads retire after about 20 s, having done nothing).</summary>
    public static TimeSpan Between(Dictionary<int, long> before, Dictionary<int, long> after)
    {
        long ns = 0;
        foreach (var (tid, now) in after)
            ns += before.TryGetValue(tid, out var then) ? Math.Max(0, now - then) : now;
        return TimeSpan.FromTicks(ns / 100);
    }
}
