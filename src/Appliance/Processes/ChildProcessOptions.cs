namespace Appliance.Processes;

/// <summary>How one child is started, read and stopped.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>Gather stdout into a pooled buffer (<see cref="ChildProcess.TakeStdout"/>), up to <see cref="MaxStdoutBytes"/>.</summary>
    public bool CaptureStdout { get; init; }

    /// <summary>Capture guard: past this, the rest of stdout is dropped and <see cref="ChildProcess.StdoutOverflowed"/> is set.</summary>
    public int MaxStdoutBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Reads stdout as it arrives (FFmpeg's progress, RAUC's lines), with or without capture.
    /// Without capture or sink, stdout is drained and dropped (it still counts as first output).</summary>
    public IOutputSink? StdoutSink { get; init; }

    public int StderrLines { get; init; } = 50;
    public int StderrBytes { get; init; } = 8 * 1024;

    /// <summary>Set on top of the inherited environment (which is scrubbed, see <see cref="ChildEnvironment"/>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Read at stop time, so graces taken from configuration apply live. Also read once at
    /// start: stdin stays open only when the ladder begins by writing to it.</summary>
    public Func<StopLadder> Stop { get; init; } = static () => StopLadder.KillAtOnce;

    /// <summary>util-linux setsid, which puts the program in its own process group (see <see cref="ChildProcess"/>).</summary>
    public string SetsidPath { get; init; } = "/usr/bin/setsid";
}
