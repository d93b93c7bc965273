using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Appliance.LoadClient;

/// <summary>
/// Pins the load client itself to one core for a scenario and restores the old mask on Dispose.
/// On Linux, Process.ProcessorAffinity sets only the main thread's affinity (there is no process-wide
/// mask; a new thread inherits its creator's), so every thread already in /proc/self/task is pinned
/// too, with sched_setaffinity(tid): the thread pool and socket threads then stay on that core, and
/// the threads they start inherit it.
/// </summary>
public sealed partial class ClientAffinity : IDisposable
{
    private readonly IntPtr _original;

    private ClientAffinity(IntPtr original) => _original = original;

    /// <summary>Threads that did not take the new mask (vanished ones are not counted).</summary>
    public int Failed { get; private init; }

    public static ClientAffinity Pin(int cpu)
    {
        if (cpu is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(cpu), "CPU numbers above 63 are not supported");
        using var self = Process.GetCurrentProcess();
        var original = self.ProcessorAffinity;
        self.ProcessorAffinity = (IntPtr)(1L << cpu); // the main thread
        return new ClientAffinity(original) { Failed = SetAllThreads(1UL << cpu) };
    }

    /// <summary>Every thread back to the mask the main thread had before.</summary>
    public void Dispose()
    {
        using var self = Process.GetCurrentProcess();
        self.ProcessorAffinity = _original;
        SetAllThreads((ulong)(long)_original);
    }

    private static int SetAllThreads(ulong mask)
    {
        var failed = 0;
        var tasks = $"/proc/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/task";
        foreach (var dir in Directory.EnumerateDirectories(tasks))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var tid)) continue;
            var m = mask;
            // ESRCH: the thread ended meanwhile; nothing to pin.
            if (SchedSetAffinity(tid, sizeof(ulong), ref m) != 0 && Marshal.GetLastPInvokeError() != Esrch) failed++;
        }
        return failed;
    }

    private const int Esrch = 3;

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int tid, nuint size, ref ulong mask);
}
