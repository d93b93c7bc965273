using Appliance.Configuration;

namespace Appliance.Media.Process;

/// <summary>What happens to the child's stdout.</summary>
public enum StdoutMode
{
    /// <summary>Drained and dropped (still counts as "first output" for the creation timeout).</summary>
    Discard,
    /// <summary>Gathered into a <see cref="PooledBuffer"/> up to <see cref="FfmpegProcessOptions.MaxStdoutBytes"/>.</summary>
    Capture,
    /// <summary>Drained and read as <c>-progress pipe:1</c> output into <see cref="FfmpegProcess.Progress"/>.</summary>
    Progress,
}

public sealed record FfmpegProcessOptions
{
    public StdoutMode Stdout { get; init; } = StdoutMode.Discard;

    /// <summary>Capture guard: past this, the rest of stdout is dropped and <see cref="FfmpegProcess.StdoutOverflowed"/> is set.</summary>
    public int MaxStdoutBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>Read at stop time, so <c>ffmpeg.process_termination_timeout</c> and
    /// <c>ffmpeg.process_kill_timeout</c> apply live (pass <c>() =&gt; config.Current.Ffmpeg</c>).</summary>
    public Func<FfmpegSection> Settings { get; init; } = static () => DefaultSettings;

    public int StderrLines { get; init; } = 50;
    public int StderrBytes { get; init; } = 8 * 1024;

    /// <summary>util-linux setsid, which puts the program in its own process group (see <see cref="FfmpegProcess"/>).</summary>
    public string SetsidPath { get; init; } = "/usr/bin/setsid";

    private static readonly FfmpegSection DefaultSettings = new();
}

/// <summary>How <see cref="FfmpegProcess.StopAsync"/> ended the process.</summary>
public enum StopOutcome
{
    /// <summary>It had already exited on its own.</summary>
    Exited,
    /// <summary>It quit after 'q' on stdin (FFmpeg finishes the output file properly).</summary>
    Quit,
    /// <summary>It ended after SIGTERM to its process group.</summary>
    Terminated,
    /// <summary>SIGKILL to its process group was needed.</summary>
    Killed,
}

/// <param name="Outcome">Which step ended it.</param>
/// <param name="ExitCode">The exit status; 128 + the signal number when a signal ended it (.NET's convention).</param>
public readonly record struct StopResult(StopOutcome Outcome, int ExitCode);
