using Appliance.Events;

namespace Appliance.Media.Recordings;

/// <summary>A recording's status as the API and the events name it (v1 wire strings).</summary>
public static class RecordingStatus
{
    public const string Started = "STARTED";
    public const string Stopped = "STOPPED";
    public const string Failed = "FAILED";
}

/// <summary>A recording started, stopped or failed (published on the event hub).</summary>
/// <param name="Status">One of <see cref="RecordingStatus"/>.</param>
/// <param name="Error">What went wrong, in words (FFmpeg's last line, how long it was silent...).</param>
/// <param name="Reason">Why it ended (STOPPED/FAILED); null for STARTED.</param>
/// <param name="Restarting">FAILED, and the recording goes on in a new segment once it can (recording.restart_on_failure).</param>
/// <param name="Resumed">STARTED again after such a failure: same session, new segment.</param>
public sealed record RecordingEvent(RecordingSession Session, string Status, string? Error, RecordingEndReason? Reason = null,
    bool Restarting = false, bool Resumed = false) : ApplianceEvent
{
    public override string? Device => Session.Camera.Device;

    /// <summary>The recording runs from now on (a first start, or a resume after a failure).</summary>
    public bool IsStarted => Status == RecordingStatus.Started;
}

/// <summary>A running recording, every <c>recording.progress_interval</c> seconds.</summary>
/// <param name="Duration">Media time written so far (FFmpeg's own count), else the wall-clock time since start.</param>
/// <param name="FileSize">Bytes on disk in all of the session's segment files (stat of the files themselves).</param>
/// <param name="Segment">The segment file being written.</param>
public sealed record RecordingProgress(RecordingSession Session, TimeSpan Duration, long FileSize, string Segment, int SegmentCount) : ApplianceEvent
{
    public override string? Device => Session.Camera.Device;
}

/// <summary>Why the recorder said no, in its own terms (each face turns it into its own answer).</summary>
public enum RecordingRefusal
{
    /// <summary>The camera is not connected (unplugged, or in error).</summary>
    CameraUnavailable,
    /// <summary>The camera is recording already (one recording per camera).</summary>
    AlreadyRecording,
    /// <summary>A stop for a camera that is not recording.</summary>
    NotRecording,
    /// <summary>Not enough free space, even after deleting old files.</summary>
    NoStorageRoom,
    /// <summary>The box has no CPU or memory to spare (the resource guard).</summary>
    NoResources,
    /// <summary>The media server is unreachable (circuit open).</summary>
    MediaServerUnavailable,
    /// <summary>FFmpeg could not start reading the stream.</summary>
    CouldNotStart,
}

/// <summary>A recording cannot start (or stop): <see cref="Refusal"/> says why, the message in words.</summary>
public sealed class RecordingRefusedException(RecordingRefusal refusal, string message) : Exception(message)
{
    public RecordingRefusal Refusal { get; } = refusal;
}
