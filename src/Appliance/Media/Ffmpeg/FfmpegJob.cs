using Appliance.Configuration;

namespace Appliance.Media.Ffmpeg;

/// <summary>Limits and stdout handling of one FFmpeg job.</summary>
public sealed record FfmpegJob
{
    /// <summary>From start to the first output byte (stdout or stderr) or exit: catches an FFmpeg
    /// that hangs opening its input. Commands run with <c>-loglevel error</c> that write to a file
    /// print nothing; give those <c>-progress pipe:1</c> or <c>-stats</c>, or a generous value here.</summary>
    public required TimeSpan CreationTimeout { get; init; }

    /// <summary><see cref="FfmpegRunner.RunAsync"/>: from start to exit. <see cref="FfmpegRunner.StartAsync"/>:
    /// the process is stopped gracefully after this long (a recording's maximum duration);
    /// <see cref="Timeout.InfiniteTimeSpan"/> = the caller stops it.</summary>
    public required TimeSpan ExecutionTimeout { get; init; }

    /// <summary>How long to wait for a free slot under <c>ffmpeg.max_concurrent</c> before
    /// <see cref="FfmpegBusyException"/>; <see cref="TimeSpan.Zero"/> = fail at once when full
    /// (ignored when the job takes no slot).</summary>
    public required TimeSpan QueueTimeout { get; init; }

    /// <summary>Short jobs (snapshots, stills, probes) share the <c>ffmpeg.max_concurrent</c> slots and
    /// queue for them; a long-running job (a recording) takes none — it is admitted by the resource
    /// guard instead, so a snapshot never waits behind recordings and recordings are not capped by a count.</summary>
    public bool TakesSlot { get; init; } = true;

    /// <summary>Gather stdout into the result (a snapshot sent to <c>-</c>); otherwise it is discarded.</summary>
    public bool CaptureStdout { get; init; }

    /// <summary>Guard for captured stdout: a command that streams instead of stopping fails with
    /// <see cref="FfmpegOutputTooLargeException"/> instead of eating the board's memory.</summary>
    public int MaxStdoutBytes { get; init; } = 64 * 1024 * 1024;

    /// <summary>A still-image job from the <c>ffmpeg.snapshot_*</c> keys, capturing stdout. It may
    /// queue as long as it may run: a caller waiting longer than that would rather hear "busy".</summary>
    public static FfmpegJob Snapshot(FfmpegSection ffmpeg) => new()
    {
        CreationTimeout = TimeSpan.FromSeconds(ffmpeg.SnapshotProcessCreationTimeout),
        ExecutionTimeout = TimeSpan.FromSeconds(ffmpeg.SnapshotExecutionTimeout),
        QueueTimeout = TimeSpan.FromSeconds(ffmpeg.SnapshotExecutionTimeout),
        CaptureStdout = true,
    };
}
