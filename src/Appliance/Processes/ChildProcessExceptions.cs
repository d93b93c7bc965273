namespace Appliance.Processes;

// The ways running a child fails, in terms of processes. Each kind of work (FFmpeg, ffprobe,
// rauc, reboot) turns them into its own errors, with the configuration key to fix where there is one.

/// <summary>The program is not an executable file (not found in PATH, or not executable).</summary>
public sealed class ExecutableNotFoundException(string program)
    : FileNotFoundException($"{program} not found or not executable", program);

/// <summary>The child did not finish in time; it has been stopped by its <see cref="StopLadder"/> by the time this is thrown.</summary>
public sealed class ChildProcessTimeoutException(string process, TimeSpan timeout, StopOutcome stoppedBy)
    : Exception($"{process} did not finish within {timeout.TotalSeconds:0.###} s (stopped: {stoppedBy.ToString().ToLowerInvariant()})")
{
    public TimeSpan Timeout { get; } = timeout;
    public StopOutcome StoppedBy { get; } = stoppedBy;
}

/// <summary>The child was still there after SIGKILL: stuck in uninterruptible I/O (a wedged USB camera).</summary>
public sealed class ChildProcessStuckException(string message) : Exception(message);
