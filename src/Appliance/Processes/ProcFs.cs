using System.Globalization;

namespace Appliance.Processes;

/// <summary>The fields of /proc/&lt;pid&gt;/stat the process layer uses (proc(5) field numbers in brackets).</summary>
/// <param name="State">[3] R, S, D, T, Z (zombie), X (dead), ...</param>
/// <param name="ParentPid">[4]</param>
/// <param name="ProcessGroup">[5]</param>
/// <param name="Session">[6]</param>
/// <param name="StartTime">[22] clock ticks after boot: with the PID, identifies one process for the lifetime of the boot.</param>
public readonly record struct ProcStat(char State, int ParentPid, int ProcessGroup, int Session, ulong StartTime)
{
    /// <summary>A zombie has already died; it only waits for its parent to collect the exit status.</summary>
    public bool IsAlive => State is not ('Z' or 'X' or 'x');
}

/// <summary>Reads /proc to tell whether a PID is still the process we think it is.</summary>
public static class ProcFs
{
    public static bool TryReadStat(int pid, out ProcStat stat)
    {
        stat = default;
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        // The command name [2] is in parentheses and may itself contain spaces and ')': the
        // numeric fields start after the LAST ')'.
        var close = text.LastIndexOf(')');
        if (close < 0) return false;
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20) return false;
        stat = new ProcStat(
            fields[0][0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            int.Parse(fields[2], CultureInfo.InvariantCulture),
            int.Parse(fields[3], CultureInfo.InvariantCulture),
            ulong.Parse(fields[19], CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>True while the process exists and has not died (a zombie counts as dead).</summary>
    public static bool IsAlive(int pid) => TryReadStat(pid, out var stat) && stat.IsAlive;

    /// <summary>argv of a live process; empty when it is gone (or a zombie, whose cmdline is empty).</summary>
    public static string[] ReadCommandLine(int pid)
    {
        try
        {
            // Each argument is NUL-terminated, so the split leaves one empty string at the end.
            var parts = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Split('\0');
            return parts[^1].Length == 0 ? parts[..^1] : parts;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Changes on every boot: a record from another boot cannot describe a live process.</summary>
    public static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
