using System.Diagnostics;
using Appliance.Configuration;
using Appliance.Processes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Media.Ffmpeg;

/// <summary>
/// Runs FFmpeg jobs for the whole service (one instance), on the service's <see cref="ProcessRunner"/>
/// (own process group, crash-leftover registry): admission of short jobs under
/// <c>ffmpeg.max_concurrent</c> (FFmpeg's own <see cref="ProcessSlots"/>; recordings are admitted
/// by the resource guard, not here), creation and execution timeouts, stop on timeout ('q' first:
/// FFmpeg finishes its file), errors that quote FFmpeg's stderr. All <c>ffmpeg.*</c> keys are read
/// when a job is admitted or stopped, so they apply live.
/// </summary>
public sealed class FfmpegRunner
{
    private static readonly ReadOnlyMemory<byte> Quit = "q"u8.ToArray();

    private readonly Func<FfmpegSection> _settings;
    private readonly ProcessRunner _processes;
    private readonly ILogger _log;
    private readonly ProcessSlots _slots;

    /// <param name="automaticLimit">The short-job limit when <c>ffmpeg.max_concurrent</c> is 0 (the host: one per camera, at least 4).</param>
    public FfmpegRunner(ConfigStore config, ProcessRunner processes, ILogger<FfmpegRunner>? log = null, Func<int>? automaticLimit = null)
        : this(() => config.Current.Ffmpeg, processes, log, automaticLimit)
    {
    }

    /// <param name="settings">The current <c>[ffmpeg]</c> section, read at use time.</param>
    /// <param name="processes">Starts the children (and records them so a restart after a crash can reap them).</param>
    public FfmpegRunner(Func<FfmpegSection> settings, ProcessRunner processes, ILogger? log = null, Func<int>? automaticLimit = null)
    {
        _settings = settings;
        _processes = processes;
        _log = log ?? NullLogger.Instance;
        automaticLimit ??= () => MinimumAutomaticLimit;
        _slots = new ProcessSlots(() => settings().MaxConcurrent is > 0 and var limit ? limit : automaticLimit());
    }

    /// <summary>FFmpeg's stop ladder from <c>ffmpeg.process_termination_timeout</c> and
    /// <c>ffmpeg.process_kill_timeout</c>: 'q', then SIGTERM, then SIGKILL.</summary>
    public static StopLadder StopLadder(FfmpegSection settings) => new()
    {
        QuitInput = Quit,
        QuitGrace = TimeSpan.FromSeconds(Math.Max(0, settings.ProcessTerminationTimeout)),
        Terminate = true,
        TerminateGrace = TimeSpan.FromSeconds(Math.Max(0, settings.ProcessKillTimeout)),
    };

    /// <summary>The short-job limit with <c>ffmpeg.max_concurrent = 0</c> and no camera count to follow.</summary>
    public const int MinimumAutomaticLimit = 4;

    /// <summary>Short jobs holding a slot now (running processes; recordings take none).</summary>
    public int Running => _slots.Running;

    /// <summary>Jobs waiting for a slot.</summary>
    public int Queued => _slots.Queued;

    /// <summary>
    /// Runs <c>ffmpeg.path</c> with <paramref name="arguments"/> (the arguments only, without the
    /// program) to completion. Throws <see cref="FfmpegNotFoundException"/>, <see cref="FfmpegBusyException"/>,
    /// <see cref="FfmpegTimeoutException"/>, <see cref="FfmpegFailedException"/> or
    /// <see cref="FfmpegOutputTooLargeException"/>; the process is gone by the time any of them is
    /// thrown. Cancelling kills the process and throws OperationCanceledException.
    /// The caller disposes the result (it owns pooled memory).
    /// </summary>
    public async Task<FfmpegResult> RunAsync(IReadOnlyList<string> arguments, FfmpegJob job, CancellationToken cancellation = default)
    {
        using var process = await AdmitAndStartAsync(arguments, job, job.CaptureStdout ? StdoutMode.Capture : StdoutMode.Discard, null, cancellation).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await AwaitCreationAsync(process, job, cancellation).ConfigureAwait(false);

            var remaining = job.ExecutionTimeout == Timeout.InfiniteTimeSpan
                ? Timeout.InfiniteTimeSpan
                : Max(TimeSpan.Zero, job.ExecutionTimeout - Stopwatch.GetElapsedTime(started));
            try
            {
                await Task.WhenAny(process.Exited, process.StdoutOverflow).WaitAsync(remaining, cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                var stop = await FfmpegProcess.StopAsync(process, cancellation).ConfigureAwait(false);
                _log.LogWarning("{Process} overran its {Timeout} s execution timeout; stopped: {Outcome}", process, job.ExecutionTimeout.TotalSeconds, stop.Outcome);
                throw new FfmpegTimeoutException(FfmpegTimeoutPhase.Execution, job.ExecutionTimeout, stop.Outcome, process.StderrTail);
            }

            if (process.StdoutOverflowed)
            {
                await FfmpegProcess.StopAsync(process, cancellation).ConfigureAwait(false);
                throw new FfmpegOutputTooLargeException(job.MaxStdoutBytes, process.StderrTail);
            }
            var code = await process.Exited.ConfigureAwait(false);
            ThrowIfFailed(process, code);
            return new FfmpegResult(code, process.TakeStdout(), process.StderrTail, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Nobody wants the result any more: kill at once rather than q and wait.
            await FfmpegProcess.StopAsync(process, new CancellationToken(canceled: true)).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a long-running job (a recording): waits for a slot, starts, and returns once the
    /// process produced its first output. The slot is held for as long as the process lives. A
    /// finite <see cref="FfmpegJob.ExecutionTimeout"/> stops it gracefully after that long. The
    /// caller owns the process: it stops it (<see cref="FfmpegProcess.StopAsync(CancellationToken)"/>) and disposes it.
    /// </summary>
    public async Task<FfmpegProcess> StartAsync(IReadOnlyList<string> arguments, FfmpegJob job, StdoutMode stdout = StdoutMode.Discard, CancellationToken cancellation = default)
    {
        var progress = stdout == StdoutMode.Progress ? new FfmpegProgress() : null;
        var process = await AdmitAndStartAsync(arguments, job, stdout, progress, cancellation).ConfigureAwait(false);
        try
        {
            await AwaitCreationAsync(process, job, cancellation).ConfigureAwait(false);
            if (process.HasExited) ThrowIfFailed(process, await process.Exited.ConfigureAwait(false));
            if (job.ExecutionTimeout != Timeout.InfiniteTimeSpan) _ = StopAfterAsync(process, job.ExecutionTimeout);
            return new FfmpegProcess(process, progress);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private async Task<ChildProcess> AdmitAndStartAsync(IReadOnlyList<string> arguments, FfmpegJob job, StdoutMode stdout, FfmpegProgress? progress, CancellationToken cancellation)
    {
        var settings = _settings();
        // Checked before queueing: a missing binary is a configuration problem, not a busy box.
        var program = ExecutableResolver.Resolve(settings.Path) ?? throw new FfmpegNotFoundException(settings.Path);
        if (job.TakesSlot && !await _slots.TryAcquireAsync(job.QueueTimeout, cancellation).ConfigureAwait(false))
            throw new FfmpegBusyException(_slots.Running, _slots.Limit, job.QueueTimeout);

        // The slot is held for as long as the process lives, whoever ends it.
        return _processes.Start(program, arguments, new ChildProcessOptions
        {
            CaptureStdout = stdout == StdoutMode.Capture,
            MaxStdoutBytes = job.MaxStdoutBytes,
            StdoutSink = progress,
            Stop = () => StopLadder(_settings()),
        }, job.TakesSlot ? _slots : null);
    }

    private async Task AwaitCreationAsync(ChildProcess process, FfmpegJob job, CancellationToken cancellation)
    {
        // A creation timeout longer than the whole execution budget cannot apply.
        var execution = job.ExecutionTimeout == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : job.ExecutionTimeout;
        var (limit, phase) = job.CreationTimeout <= execution
            ? (job.CreationTimeout, FfmpegTimeoutPhase.Creation)
            : (job.ExecutionTimeout, FfmpegTimeoutPhase.Execution);
        try
        {
            await process.FirstOutput.WaitAsync(limit, cancellation).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var stop = await FfmpegProcess.StopAsync(process, cancellation).ConfigureAwait(false);
            _log.LogWarning("{Process} produced no output within {Timeout} s; stopped: {Outcome}", process, limit.TotalSeconds, stop.Outcome);
            throw new FfmpegTimeoutException(phase, limit, stop.Outcome, process.StderrTail);
        }
    }

    private async Task StopAfterAsync(ChildProcess process, TimeSpan limit)
    {
        try
        {
            await process.Exited.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            try
            {
                var stop = await FfmpegProcess.StopAsync(process, CancellationToken.None).ConfigureAwait(false);
                _log.LogInformation("{Process} reached its {Limit} s limit; stopped: {Outcome}", process, limit.TotalSeconds, stop.Outcome);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not stop {Process} at its time limit", process);
            }
        }
    }

    private static void ThrowIfFailed(ChildProcess process, int code)
    {
        if (code == 0) return;
        // The binary vanished between our check and setsid's exec (setsid exits 126/127 and says so).
        if (code is 126 or 127 && process.StderrTail.Contains("setsid: failed to execute", StringComparison.Ordinal))
            throw new FfmpegNotFoundException(process.Program);
        throw new FfmpegFailedException(code, process.StderrTail);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
