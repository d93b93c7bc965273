using Appliance.Media.Ffmpeg;

namespace Appliance.Media.Recordings;

/// <summary>
/// Says when a running FFmpeg has stopped making progress: the media time it reports on
/// <c>-progress</c> (out_time) has not advanced for the stall timeout. That catches what exit
/// codes and FFmpeg's own <c>-timeout</c> cannot: a process that is stopped (SIGSTOP), wedged, or
/// blocked writing to a dying card. Until FFmpeg reports its first media time, the clock runs
/// from the moment watching began.
/// </summary>
public sealed class ProgressStallDetector(TimeProvider time)
{
    private long _lastOutTimeUs = -1;
    private long _lastAdvance = time.GetTimestamp();

    /// <summary>Looks at the progress now; true when it has not advanced for <paramref name="timeout"/>.</summary>
    /// <param name="silence">How long it has not advanced.</param>
    public bool IsStalled(FfmpegProgress? progress, TimeSpan timeout, out TimeSpan silence)
    {
        var outTime = progress?.OutTime is { } t ? (long)t.TotalMicroseconds : -1;
        if (outTime > _lastOutTimeUs)
        {
            _lastOutTimeUs = outTime;
            _lastAdvance = time.GetTimestamp();
        }
        silence = time.GetElapsedTime(_lastAdvance);
        return silence >= timeout;
    }

    /// <summary>Starts the clock again (a new process for the same recording).</summary>
    public void Reset()
    {
        _lastOutTimeUs = -1;
        _lastAdvance = time.GetTimestamp();
    }
}
