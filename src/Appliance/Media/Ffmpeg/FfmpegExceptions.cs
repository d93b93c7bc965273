using Appliance.Processes;

namespace Appliance.Media.Ffmpeg;

// The ways an FFmpeg job fails. Each message is meant to be shown as-is (API error data, logs):
// it says what happened, and quotes FFmpeg's last stderr lines when there are any, because those
// usually name the real cause ("No such file or directory", "Device or resource busy", ...).

/// <summary>Base of every FFmpeg job failure.</summary>
public class FfmpegException : Exception
{
    public FfmpegException(string message, string stderrTail = "") : base(WithTail(message, stderrTail))
    {
        StderrTail = stderrTail;
    }

    /// <summary>FFmpeg's last stderr lines ('\n'-separated; empty when it said nothing).</summary>
    public string StderrTail { get; }

    private static string WithTail(string message, string tail) =>
        tail.Length == 0 ? message : $"{message}; FFmpeg's last output:\n{tail}";
}

/// <summary><c>ffmpeg.path</c> does not name an executable.</summary>
public sealed class FfmpegNotFoundException(string path)
    : FfmpegException($"ffmpeg not found at {path}: install ffmpeg or set ffmpeg.path")
{
    public string Path { get; } = path;
}

/// <summary>No job slot came free within the job's queue timeout.</summary>
public sealed class FfmpegBusyException(int running, int maxConcurrent, TimeSpan waited)
    : FfmpegException($"{running} FFmpeg jobs already running (ffmpeg.max_concurrent = {maxConcurrent}); no slot came free within {waited.TotalSeconds:0.###} s")
{
    public int Running { get; } = running;
    public int MaxConcurrent { get; } = maxConcurrent;
}

/// <summary>Which limit a job overran.</summary>
public enum FfmpegTimeoutPhase
{
    /// <summary>No first output byte (and no exit) within the creation timeout.</summary>
    Creation,
    /// <summary>Not finished within the execution timeout.</summary>
    Execution,
}

/// <summary>The job overran a timeout; the process has been stopped (q, SIGTERM, SIGKILL) by the time this is thrown.</summary>
public sealed class FfmpegTimeoutException(FfmpegTimeoutPhase phase, TimeSpan timeout, StopOutcome stoppedBy, string stderrTail)
    : FfmpegException(Describe(phase, timeout, stoppedBy), stderrTail)
{
    public FfmpegTimeoutPhase Phase { get; } = phase;
    public TimeSpan Timeout { get; } = timeout;
    public StopOutcome StoppedBy { get; } = stoppedBy;

    private static string Describe(FfmpegTimeoutPhase phase, TimeSpan timeout, StopOutcome stoppedBy) =>
        (phase == FfmpegTimeoutPhase.Creation
            ? $"FFmpeg produced no output within {timeout.TotalSeconds:0.###} s of starting"
            : $"FFmpeg did not finish within {timeout.TotalSeconds:0.###} s")
        + $" (stopped: {stoppedBy.ToString().ToLowerInvariant()})";
}

/// <summary>FFmpeg exited with a non-zero status.</summary>
public sealed class FfmpegFailedException(int exitCode, string stderrTail)
    : FfmpegException(exitCode is > 128 and <= 128 + 64
        // .NET reports a death by signal as 128 + the signal number (FFmpeg's own "exiting on a signal" status is 255).
        ? $"FFmpeg was ended by signal {exitCode - 128} (exit code {exitCode})"
        : $"FFmpeg failed with exit code {exitCode}", stderrTail)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Captured stdout grew past the job's limit (a snapshot command that streams instead of stopping).</summary>
public sealed class FfmpegOutputTooLargeException(int limitBytes, string stderrTail)
    : FfmpegException($"FFmpeg wrote more than {limitBytes / (1024.0 * 1024.0):0.##} MiB to stdout; the job was stopped", stderrTail)
{
    public int LimitBytes { get; } = limitBytes;
}
