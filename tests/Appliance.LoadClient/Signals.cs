using System.Runtime.InteropServices;

namespace Appliance.LoadClient;

/// <summary>kill(2) for the faults scenario: SIGKILL and SIGSTOP to one process, as a crash or a hang would.</summary>
public static partial class Signals
{
    public const int Kill = 9;
    public const int Stop = 19;
    public const int Cont = 18;
    public const int Interrupt = 2;

    /// <summary>True when the signal was delivered (false: the process has gone).</summary>
    public static bool Send(int pid, int signal) => NativeKill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}
