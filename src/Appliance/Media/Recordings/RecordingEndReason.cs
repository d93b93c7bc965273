namespace Appliance.Media.Recordings;

/// <summary>Why a recording (or, with <c>recording.restart_on_failure</c>, one stretch of it) ended.</summary>
public enum RecordingEndReason
{
    StoppedByClient,
    DurationReached,
    DiskFull,
    CameraLost,
    MediaServerLost,
    RecorderCrashed,
    RecorderStalled,
    /// <summary>The service itself stopped (shutdown, restart): the file was finished cleanly.</summary>
    ServiceStopping,
}

public static class RecordingEndReasons
{
    /// <summary>The name clients, the log and get_recording_info use.</summary>
    public static string Name(RecordingEndReason reason) => reason switch
    {
        RecordingEndReason.StoppedByClient => "stopped_by_client",
        RecordingEndReason.DurationReached => "duration_reached",
        RecordingEndReason.DiskFull => "disk_full",
        RecordingEndReason.CameraLost => "camera_lost",
        RecordingEndReason.MediaServerLost => "media_server_lost",
        RecordingEndReason.RecorderCrashed => "recorder_crashed",
        RecordingEndReason.RecorderStalled => "recorder_stalled",
        RecordingEndReason.ServiceStopping => "service_stopping",
        _ => throw new ArgumentOutOfRangeException(nameof(reason)),
    };

    /// <summary>The failures a recording may go on after (recording.restart_on_failure); the others are ends someone wanted.</summary>
    public static bool IsFailure(RecordingEndReason reason) =>
        reason is RecordingEndReason.CameraLost or RecordingEndReason.MediaServerLost or RecordingEndReason.RecorderCrashed or RecordingEndReason.RecorderStalled;
}
