using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Processes;

/// <summary>
/// The one way the service starts a child process (FFmpeg, ffprobe, rauc, the reboot command):
/// in its own process group (<see cref="ChildProcess"/>), recorded in the
/// <see cref="ChildProcessRegistry"/> so that a crash leaves no orphan and shutdown stops it, and
/// holding a slot of its kind's <see cref="ProcessSlots"/> (if it takes one) until it exits.
/// What each kind adds (FFmpeg's creation timeout and errors, RAUC's lines) is built on top.
/// </summary>
public sealed class ProcessRunner(ChildProcessRegistry? registry = null, ILogger<ProcessRunner>? log = null)
{
    private readonly ILogger _log = log ?? (ILogger)NullLogger.Instance;

    /// <summary>
    /// Starts <paramref name="program"/> and records it. <paramref name="heldSlot"/>: a slot the
    /// caller took from its kind's <see cref="ProcessSlots"/>; it is released when the process
    /// exits, whoever ends it, or at once if it fails to start.
    /// </summary>
    public ChildProcess Start(string program, IReadOnlyList<string> arguments, ChildProcessOptions options, ProcessSlots? heldSlot = null)
    {
        ChildProcess process;
        try
        {
            process = ChildProcess.Start(program, arguments, options);
        }
        catch
        {
            heldSlot?.Release();
            throw;
        }
        if (heldSlot is not null)
            _ = process.Exited.ContinueWith((_, slots) => ((ProcessSlots)slots!).Release(), heldSlot,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        registry?.Track(process);
        _log.LogDebug("Started {Process}: {Arguments}", process, UrlCredentialRedaction.Redact(string.Join(' ', arguments)));
        return process;
    }

    /// <summary>
    /// Runs a short command to its end: started as <see cref="Start"/> does, then awaited for at most
    /// <paramref name="timeout"/>. Past it, the process is stopped by its ladder and
    /// <see cref="ChildProcessTimeoutException"/> is thrown; cancelling kills it at once and throws
    /// OperationCanceledException. Returns the exited process (the caller disposes it) to read its output.
    /// </summary>
    public async Task<ChildProcess> RunAsync(string program, IReadOnlyList<string> arguments, ChildProcessOptions options, TimeSpan timeout,
        CancellationToken cancellation, ProcessSlots? heldSlot = null)
    {
        var process = Start(program, arguments, options, heldSlot);
        try
        {
            await process.Exited.WaitAsync(timeout, cancellation).ConfigureAwait(false);
            return process;
        }
        catch (TimeoutException)
        {
            var stop = await process.StopAsync(CancellationToken.None).ConfigureAwait(false);
            process.Dispose();
            throw new ChildProcessTimeoutException(process.ToString(), timeout, stop.Outcome);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Nobody wants the result any more: kill at once rather than wait through a ladder.
            try { await process.StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false); }
            finally { process.Dispose(); }
            throw;
        }
    }
}
