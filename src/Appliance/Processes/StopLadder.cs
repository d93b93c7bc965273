namespace Appliance.Processes;

/// <summary>
/// How a child is stopped, each step only if the one before did not end it: ask it on stdin
/// (<see cref="QuitInput"/>), SIGTERM (+ SIGCONT) to its process group, SIGKILL to the group.
/// Each kind of child needs its own: FFmpeg is asked to quit first, because 'q' makes it finish
/// the file it writes; rauc, the reboot command and ffprobe hold nothing of their own that a
/// clean exit would save, so they are killed at once (<see cref="KillAtOnce"/>), which also
/// reaches a script's children before the script could die and leave them behind.
/// </summary>
public sealed record StopLadder
{
    /// <summary>Straight to SIGKILL of the whole group.</summary>
    public static readonly StopLadder KillAtOnce = new();

    /// <summary>Written to stdin to ask the child to finish (FFmpeg: "q"); empty: no such step.</summary>
    public ReadOnlyMemory<byte> QuitInput { get; init; }

    /// <summary>How long to wait for an exit after <see cref="QuitInput"/>.</summary>
    public TimeSpan QuitGrace { get; init; }

    /// <summary>Whether SIGTERM comes before SIGKILL.</summary>
    public bool Terminate { get; init; }

    /// <summary>How long to wait for an exit after SIGTERM.</summary>
    public TimeSpan TerminateGrace { get; init; }
}
