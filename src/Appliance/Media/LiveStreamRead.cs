using Appliance.Media.Ffmpeg;

namespace Appliance.Media;

/// <summary>
/// The one way a read of a live stream (a snapshot, a recording's start) fails that a second read
/// usually mends, so both try once more (see <see cref="StreamProbing"/> for the probe): FFmpeg's probing
/// ended before it saw the stream's parameter sets and a keyframe (a reader that joined at a bad
/// moment: the publisher restarting, or a box so busy that the probe window passed first). FFmpeg
/// then leaves the video stream out of its automatic mapping and says "Output file #0 does not
/// contain any stream" (snapshots), or that the dimensions are not set (recordings). Both seen in the
/// eight-camera VM test with the emulated guest's CPUs saturated. Refusals (401, 404),
/// a dead server or a hang are not of this kind: retrying those would only double the wait.
/// </summary>
public static class LiveStreamRead
{
    public static bool FoundNoPicture(FfmpegException failure) =>
        failure is not FfmpegTimeoutException
        && (failure.StderrTail.Contains("does not contain any stream", StringComparison.Ordinal)
            || failure.StderrTail.Contains("dimensions not set", StringComparison.Ordinal)
            || failure.StderrTail.Contains("Could not find codec parameters", StringComparison.Ordinal));
}
