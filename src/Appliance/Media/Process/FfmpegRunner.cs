using System.Diagnostics;
using Appliance.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Media.Process;

/// <summary>
/// Runs FFmpeg jobs for the whole service (one instance): admission of short jobs under
/// <c>ffmpeg.max_concurrent</c> (recordings are admitted by the resource guard, not here), creation and execution timeouts, stop on timeout, errors that quote
/// FFmpeg's stderr, and registration of every child for crash recovery. All <c>ffmpeg.*</c> keys
/// are read when a job is admitted or stopped, so they apply live.
/// </summary>
public sealed class FfmpegRunner
{
    private readonly Func<FfmpegSection> _settings;
    private readonly ChildProcessRegistry? _registry;
    private readonly ILogger _log;
    private readonly JobSlots _slots;

    public FfmpegRunner(ConfigStore config, ChildProcessRegistry? registry = null, ILogger<FfmpegRunner>? log = null)
        : this(() => config.Current.Ffmpeg, registry, log)
    {
    }

    /// <param name="settings">The current <c>[ffmpeg]</c> section, read at use time.</param>
    /// <param name="registry">Records children so a restart after a crash can reap them (null: not recorded).</param>
    public FfmpegRunner(Func<FfmpegSection> settings, ChildProcessRegistry? registry = null, ILogger? log = null)
    {
        _settings = settings;
        _registry = registry;
        _log = log ?? NullLogger.Instance;
        _slots = new JobSlots(() => settings().MaxConcurrent);
    }

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
        using var process = await AdmitAndStartAsync(arguments, job, job.CaptureStdout ? StdoutMode.Capture : StdoutMode.Discard, cancellation).ConfigureAwait(false);
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
                var stop = await process.StopAsync(cancellation).ConfigureAwait(false);
                _log.LogWarning("{Process} overran its {Timeout} s execution timeout; stopped: {Outcome}", process, job.ExecutionTimeout.TotalSeconds, stop.Outcome);
                throw new FfmpegTimeoutException(FfmpegTimeoutPhase.Execution, job.ExecutionTimeout, stop.Outcome, process.StderrTail);
            }

            if (process.StdoutOverflowed)
            {
                await process.StopAsync(cancellation).ConfigureAwait(false);
                throw new FfmpegOutputTooLargeException(job.MaxStdoutBytes, process.StderrTail);
            }
            var code = await process.Exited.ConfigureAwait(false);
            ThrowIfFailed(process, code);
            return new FfmpegResult(code, process.TakeStdout(), process.StderrTail, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Nobody wants the result any more: kill at once rather than q and wait.
            await process.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a long-running job (a recording): waits for a slot, starts, and returns once the
    /// process produced its first output. The slot is held for as long as the process lives. A
    /// finite <see cref="FfmpegJob.ExecutionTimeout"/> stops it gracefully after that long. The
    /// caller owns the process: it stops it (<see cref="FfmpegProcess.StopAsync"/>) and disposes it.
    /// </summary>
    public async Task<FfmpegProcess> StartAsync(IReadOnlyList<string> arguments, FfmpegJob job, StdoutMode stdout = StdoutMode.Discard, CancellationToken cancellation = default)
    {
        var process = await AdmitAndStartAsync(arguments, job, stdout, cancellation).ConfigureAwait(false);
        try
        {
            await AwaitCreationAsync(process, job, cancellation).ConfigureAwait(false);
            if (process.HasExited) ThrowIfFailed(process, await process.Exited.ConfigureAwait(false));
            if (job.ExecutionTimeout != Timeout.InfiniteTimeSpan) _ = StopAfterAsync(process, job.ExecutionTimeout);
            return process;
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }

    private async Task<FfmpegProcess> AdmitAndStartAsync(IReadOnlyList<string> arguments, FfmpegJob job, StdoutMode stdout, CancellationToken cancellation)
    {
        var settings = _settings();
        // Checked before queueing: a missing binary is a configuration problem, not a busy box.
        var program = ExecutableResolver.Resolve(settings.Path) ?? throw new FfmpegNotFoundException(settings.Path);
        if (job.TakesSlot && !await _slots.TryAcquireAsync(job.QueueTimeout, cancellation).ConfigureAwait(false))
            throw new FfmpegBusyException(_slots.Running, _slots.Limit, job.QueueTimeout);

        FfmpegProcess process;
        try
        {
            process = FfmpegProcess.Start(program, arguments, new FfmpegProcessOptions
            {
                Stdout = stdout,
                MaxStdoutBytes = job.MaxStdoutBytes,
                Settings = _settings,
            });
        }
        catch
        {
            if (job.TakesSlot) _slots.Release();
            throw;
        }
        // The slot is held for as long as the process lives, whoever ends it.
        if (job.TakesSlot)
            _ = process.Exited.ContinueWith(_ => _slots.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _registry?.Track(process);
        _log.LogDebug("Started {Process}: {Arguments}", process, UrlCredentialRedaction.Redact(string.Join(' ', arguments)));
        return process;
    }

    private async Task AwaitCreationAsync(FfmpegProcess process, FfmpegJob job, CancellationToken cancellation)
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
            var stop = await process.StopAsync(cancellation).ConfigureAwait(false);
            _log.LogWarning("{Process} produced no output within {Timeout} s; stopped: {Outcome}", process, limit.TotalSeconds, stop.Outcome);
            throw new FfmpegTimeoutException(phase, limit, stop.Outcome, process.StderrTail);
        }
    }

    private async Task StopAfterAsync(FfmpegProcess process, TimeSpan limit)
    {
        try
        {
            await process.Exited.WaitAsync(limit).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            try
            {
                var stop = await process.StopAsync().ConfigureAwait(false);
                _log.LogInformation("{Process} reached its {Limit} s limit; stopped: {Outcome}", process, limit.TotalSeconds, stop.Outcome);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not stop {Process} at its time limit", process);
            }
        }
    }

    private static void ThrowIfFailed(FfmpegProcess process, int code)
    {
        if (code == 0) return;
        // The binary vanished between our check and setsid's exec (setsid exits 126/127 and says so).
        if (code is 126 or 127 && process.StderrTail.Contains("setsid: failed to execute", StringComparison.Ordinal))
            throw new FfmpegNotFoundException(process.Program);
        throw new FfmpegFailedException(code, process.StderrTail);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
