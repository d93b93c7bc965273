using Appliance.Buffers;

namespace Appliance.Media.Ffmpeg;

/// <summary>
/// A finished FFmpeg job. Owns the captured stdout (pooled memory): write it once, then Dispose
/// to give the memory back. <see cref="Stdout"/> must not be used after that.
/// </summary>
public sealed class FfmpegResult(int exitCode, PooledBuffer stdout, string stderrTail, TimeSpan elapsed) : IDisposable
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The captured stdout; empty unless the job set <see cref="FfmpegJob.CaptureStdout"/>.</summary>
    public PooledBuffer Stdout { get; } = stdout;

    public string StderrTail { get; } = stderrTail;

    /// <summary>From process start to exit (queueing not included).</summary>
    public TimeSpan Elapsed { get; } = elapsed;

    public void Dispose() => Stdout.Dispose();
}
