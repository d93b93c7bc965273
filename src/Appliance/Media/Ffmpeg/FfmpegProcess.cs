using Appliance.Buffers;
using Appliance.Processes;

namespace Appliance.Media.Ffmpeg;

/// <summary>
/// A running FFmpeg job handed to its owner (a recording, see <see cref="FfmpegRunner.StartAsync"/>):
/// the <see cref="ChildProcess"/> plus what only FFmpeg has, its <c>-progress</c> output, and
/// failures in FFmpeg's terms (a stop that cannot end it is an <see cref="FfmpegException"/>
/// quoting FFmpeg's last words).
/// </summary>
public sealed class FfmpegProcess : IDisposable
{
    private readonly ChildProcess _child;

    internal FfmpegProcess(ChildProcess child, FfmpegProgress? progress)
    {
        _child = child;
        Progress = progress;
    }

    /// <summary>FFmpeg's PID; also its process group id and session id.</summary>
    public int Pid => _child.Pid;

    /// <summary>Absolute path of the program (argv[0]).</summary>
    public string Program => _child.Program;

    /// <summary>Completes with the exit code once FFmpeg has exited and been reaped (128 + signal number when a signal ended it).</summary>
    public Task<int> Exited => _child.Exited;

    public bool HasExited => _child.HasExited;

    /// <summary>FFmpeg's last stderr lines, '\n'-separated.</summary>
    public string StderrTail => _child.StderrTail;

    /// <summary><see cref="StdoutMode.Progress"/> only: what FFmpeg's <c>-progress</c> output last said; null otherwise.</summary>
    public FfmpegProgress? Progress { get; }

    /// <summary><see cref="StdoutMode.Capture"/>, after <see cref="Exited"/>: the captured bytes (the caller disposes them).</summary>
    public PooledBuffer TakeStdout() => _child.TakeStdout();

    /// <summary>
    /// 'q' on stdin (FFmpeg finishes its output file) → wait <c>ffmpeg.process_termination_timeout</c>
    /// → SIGTERM (+ SIGCONT) to the process group → wait <c>ffmpeg.process_kill_timeout</c> → SIGKILL;
    /// the timeouts are read now, so they apply live. Cancelling skips to SIGKILL.
    /// </summary>
    public Task<StopResult> StopAsync(CancellationToken cancellation = default) => StopAsync(_child, cancellation);

    /// <summary>Stops an FFmpeg child by its ladder; one that outlives SIGKILL is an <see cref="FfmpegException"/> quoting its stderr.</summary>
    internal static async Task<StopResult> StopAsync(ChildProcess child, CancellationToken cancellation)
    {
        try
        {
            return await child.StopAsync(cancellation).ConfigureAwait(false);
        }
        catch (ChildProcessStuckException e)
        {
            throw new FfmpegException(e.Message, child.StderrTail);
        }
    }

    /// <summary>SIGKILL to the process group now, no 'q' and no grace (see <see cref="ChildProcess.KillAsync"/>).</summary>
    public Task<bool> KillAsync(TimeSpan wait) => _child.KillAsync(wait);

    public void Dispose() => _child.Dispose();

    public override string ToString() => _child.ToString();
}
