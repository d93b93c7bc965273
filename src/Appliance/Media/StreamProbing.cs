namespace Appliance.Media;

/// <summary>
/// How long FFmpeg may look at a live RTSP stream before it starts writing (recordings, snapshots).
/// FFmpeg needs the stream's parameter sets (SPS/PPS) and a decodable keyframe; a reader joins the
/// stream between keyframes, so that takes up to one keyframe interval (half a second on our own
/// publishers, often 1–2 s on cameras that encode H.264 themselves). What it must not do is go on
/// reading ~20 frames only to estimate the frame rate (0.9 s measured), so <c>-fpsprobesize 0</c>.
/// The byte and time caps only bound a stream that never sends a keyframe; they are not the wait.
/// A cap of 32 KB / 0.1 s (used before) failed under load: with the first bytes all P-frames, FFmpeg
/// gave up with "dimensions not set" (recordings) or "does not contain any stream" (snapshots).
/// </summary>
public static class StreamProbing
{
    public static readonly string[] Arguments = ["-probesize", "2000000", "-analyzeduration", "3000000", "-fpsprobesize", "0"];
}
