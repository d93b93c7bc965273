using System.Runtime.InteropServices;

namespace Appliance.Processes;

/// <summary>
/// The few libc calls the child-process layer needs that .NET does not offer: signalling a whole
/// process group (<c>kill(-pgid, sig)</c>; Process.Kill only knows single processes and trees) and
/// asking whether a file is executable for us. Kept here rather than in Cameras/V4L2/LibC so the
/// camera interop stays camera-only. LibraryImport generates the marshalling at compile time (AOT-safe).
/// </summary>
internal static partial class ProcessInterop
{
    // Linux signal numbers; the same on x86-64 and AArch64 (asm-generic).
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public const int ESrch = 3;
    public const int XOk = 1;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    public static partial int GetProcessGroup();

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="pgid"/>.
    /// Returns false when the group no longer exists (ESRCH).</summary>
    public static bool SignalGroup(int pgid, int signal)
    {
        // Never signal "every process we may" (-1), our own group, or init: a corrupted record must not take the box down.
        if (pgid <= 1 || pgid == GetProcessGroup()) throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "refusing to signal this process group");
        return Send(-pgid, signal);
    }

    /// <summary>Sends <paramref name="signal"/> to one process. Returns false when it no longer exists (ESRCH).</summary>
    public static bool SignalProcess(int pid, int signal)
    {
        if (pid <= 1) throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal this process");
        return Send(pid, signal);
    }

    public static bool IsExecutable(string path) => Access(path, XOk) == 0;

    private static bool Send(int target, int signal)
    {
        if (Kill(target, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ESrch) return false;
        throw new IOException($"kill({target}, {signal}) failed: errno {errno}");
    }
}
