using System.Diagnostics;
using System.Globalization;
using System.Numerics;

namespace Appliance.LoadClient;

/// <summary>
/// Which core the server under test runs on and which the load client runs on, so that the two
/// do not compete for one core while the figures are taken (issue 19's floor comparison). The
/// server is started under util-linux's `taskset -c CPU`, which sets the affinity and then execs
/// the binary: the pid of taskset is the server's pid.
/// </summary>
/// <param name="ServerCpu">The core the server is pinned to (the lowest the client may use).</param>
/// <param name="ClientCpu">The core the load client pins itself to (the next one).</param>
public sealed record CpuPinning(int ServerCpu, int ClientCpu)
{
    private const string Taskset = "taskset";

    /// <summary>Two cores from the client's own affinity mask, or null (and why) when pinning is not possible.</summary>
    public static CpuPinning? Choose(out string why)
    {
        var mask = (ulong)(long)Process.GetCurrentProcess().ProcessorAffinity;
        if (BitOperations.PopCount(mask) < 2)
        {
            why = $"fewer than 2 cores available ({BitOperations.PopCount(mask)}); server and client run unpinned";
            return null;
        }
        if (FindOnPath(Taskset) is null)
        {
            why = "taskset (util-linux) not found on PATH; server and client run unpinned";
            return null;
        }
        var server = BitOperations.TrailingZeroCount(mask);
        var client = BitOperations.TrailingZeroCount(mask & ~(1UL << server));
        why = $"server under `taskset -c {server}`, load client pinned to CPU {client}";
        return new CpuPinning(server, client);
    }

    /// <summary>Turns `binary args` into `taskset -c CPU binary args` (taskset execs: same pid).</summary>
    public static void Prefix(ProcessStartInfo info, int cpu)
    {
        var binary = info.FileName;
        info.FileName = Taskset;
        info.ArgumentList.Insert(0, binary);
        info.ArgumentList.Insert(0, cpu.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Insert(0, "-c");
    }

    /// <summary>Cpus_allowed_list of a process (e.g. "0"), to check that the pinning took; null once it has gone.</summary>
    public static string? AllowedCpus(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) return line["Cpus_allowed_list:".Length..].Trim();
        }
        catch (IOException) { }
        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
