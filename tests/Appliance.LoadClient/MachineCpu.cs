using System.Globalization;

namespace Appliance.LoadClient;

/// <summary>The machine-wide CPU counters from the first line of /proc/stat (in USER_HZ ticks).</summary>
public readonly record struct MachineCpu(long Total, long Idle, long SoftIrq, long Steal)
{
    public static MachineCpu? Read()
    {
        try
        {
            var line = File.ReadLines("/proc/stat").First();
            // cpu  user nice system idle iowait irq softirq steal guest guest_nice
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var steal = f.Length > 7 ? f[7] : 0;
            // guest time is already counted in user; add only the first eight fields.
            return new MachineCpu(f.Take(8).Sum(), f[3] + f[4], f.Length > 6 ? f[6] : 0, steal);
        }
        catch (IOException) { return null; }
    }

    public double BusyShareSince(MachineCpu before)
    {
        var total = Total - before.Total;
        return total <= 0 ? 0 : 1 - (double)(Idle - before.Idle) / total;
    }

    /// <summary>Kernel softirq time (loopback TCP is mostly here): counted in no process's CPU time.</summary>
    public double SoftIrqShareSince(MachineCpu before)
    {
        var total = Total - before.Total;
        return total <= 0 ? 0 : (double)(SoftIrq - before.SoftIrq) / total;
    }

    public double StealShareSince(MachineCpu before)
    {
        var total = Total - before.Total;
        return total <= 0 ? 0 : (double)(Steal - before.Steal) / total;
    }
}
