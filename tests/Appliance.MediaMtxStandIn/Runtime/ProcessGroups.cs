using System.Runtime.InteropServices;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// Signals to whole process groups, as MediaMTX sends SIGINT to -pid so that a command's own
/// children stop too. Commands are started through setsid(1), which (not being a group leader)
/// calls setsid() and execs the program in place: its pid is also its process group id.
/// </summary>
internal static partial class ProcessGroups
{
    public const int SigInt = 2;
    public const int SigKill = 9;

    public const string Setsid = "/usr/bin/setsid";

    /// <summary>True when the signal was delivered to at least one process of the group.</summary>
    public static bool Signal(int processGroup, int signal) => processGroup > 1 && Kill(-processGroup, signal) == 0;

    /// <summary>Whether any process of the group is still alive (signal 0 only checks).</summary>
    public static bool Alive(int processGroup) => processGroup > 1 && Kill(-processGroup, 0) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
