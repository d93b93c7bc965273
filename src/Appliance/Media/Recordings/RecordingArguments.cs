using System.Globalization;

namespace Appliance.Media.Recordings;

/// <summary>
/// FFmpeg arguments for a recording: read the camera's stream from MediaMTX, copy it or encode it
/// again (<see cref="TranscodeArguments"/>), and write segments of recording.segment_duration. Each
/// segment is a fragmented MP4 (moov first, then self-contained fragments at every keyframe),
/// Matroska or MPEG-TS, so what has been written stays playable if the camera is pulled or the power
/// is cut; a clean stop ('q') writes the trailer, and a kill leaves the file ending at a whole
/// fragment (cluster, packet). Segment files are named like the contract's recording file name, from the time
/// each one starts (camera0_2026-11-25_10-00-00.mp4).
/// </summary>
public static class RecordingArguments
{
    /// <summary>A stream copy into <paramref name="format"/> (mp4, mkv, ts).</summary>
    /// <param name="filePrefix">The camera's file-name prefix (CameraId.FilePrefix: "camera0_").</param>
    public static List<string> Build(string rtspUrl, string directory, string filePrefix, string format, TimeSpan? duration, double segmentSeconds) =>
        Build(rtspUrl, directory, filePrefix, RecordingOptions.StreamCopy(format), duration, segmentSeconds, 0, 0, 0);

    /// <param name="width">The camera's picture size and frame rate (a hardware encoder's bitrate and GOP); 0 when unknown.</param>
    public static List<string> Build(string rtspUrl, string directory, string filePrefix, RecordingOptions options, TimeSpan? duration, double segmentSeconds,
        int width, int height, int fps)
    {
        List<string> args =
        [
            // No -nostdin: a clean stop is 'q' on stdin, which lets FFmpeg write the trailer.
            "-hide_banner", "-loglevel", "error",
            // Progress on stdout: proves the process is alive from the start (creation timeout) and feeds progress updates.
            "-progress", "pipe:1", "-stats_period", "1",
            "-rtsp_transport", "tcp",
            // Probe until the first keyframe, not for the frame rate (see StreamProbing).
            .. StreamProbing.Arguments,
            // A stream that stops delivering (camera pulled, publisher gone) ends the recording within 5 s.
            "-timeout", "5000000",
            "-i", rtspUrl,
            "-map", "0:v",
        ];
        args.AddRange(TranscodeArguments.For(options, width, height, fps, segmentSeconds));
        if (duration is { } d) args.AddRange(["-t", d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)]);
        args.AddRange(["-f", "segment", "-segment_time", segmentSeconds.ToString("0.###", CultureInfo.InvariantCulture),
            "-reset_timestamps", "1", "-strftime", "1"]);
        var container = options.Container;
        args.AddRange(["-segment_format", container.Muxer, "-segment_format_options",
            string.Join(':', container.MuxerOptions.Select(o => $"{o.Key}={o.Value}"))]);
        args.Add(Path.Combine(directory, $"{filePrefix}%Y-%m-%d_%H-%M-%S.{container.Name}"));
        return args;
    }
}
