namespace Appliance.Media.Ffmpeg;

/// <summary>What happens to a long-running FFmpeg job's stdout (<see cref="FfmpegRunner.StartAsync"/>).</summary>
public enum StdoutMode
{
    /// <summary>Drained and dropped (still counts as "first output" for the creation timeout).</summary>
    Discard,
    /// <summary>Gathered into a pooled buffer up to <see cref="FfmpegJob.MaxStdoutBytes"/>.</summary>
    Capture,
    /// <summary>Drained and read as <c>-progress pipe:1</c> output into <see cref="FfmpegProcess.Progress"/>.</summary>
    Progress,
}
