namespace Appliance.Processes;

/// <summary>How <see cref="ChildProcess.StopAsync"/> ended the process.</summary>
public enum StopOutcome
{
    /// <summary>It had already exited on its own.</summary>
    Exited,
    /// <summary>It quit after its <see cref="StopLadder.QuitInput"/> (FFmpeg's 'q': the output file is finished properly).</summary>
    Quit,
    /// <summary>It ended after SIGTERM to its process group.</summary>
    Terminated,
    /// <summary>SIGKILL to its process group was needed.</summary>
    Killed,
}

/// <param name="Outcome">Which step ended it.</param>
/// <param name="ExitCode">The exit status; 128 + the signal number when a signal ended it (.NET's convention).</param>
public readonly record struct StopResult(StopOutcome Outcome, int ExitCode);
