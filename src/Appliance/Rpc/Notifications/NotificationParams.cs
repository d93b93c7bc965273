using System.Text.Json.Serialization;
using Appliance.Rpc.Methods;

namespace Appliance.Rpc.Notifications;

// The params of every notification. The v1 two (camera_status_update, recording_status_update) keep
// exactly their v1 fields for connections that never subscribed: Event (and Error) are null there and
// left out. A subscribed connection's copy carries "event", the topic that caused it.

/// <summary>camera_status_update: the v1 camera fields (plus the device_path copy the original SDKs read).</summary>
public sealed record CameraStatusUpdate(string Device, string Status, string Name, string Resolution, int Fps, StreamsObject Streams, string DevicePath,
    string? Event = null);

/// <summary>recording_status_update: the v1 fields; error, reason, restarting, resumed and options only for subscribed connections.</summary>
/// <param name="Segment">The file being written when it failed or resumed (subscribed connections).</param>
/// <param name="Options">codec, quality and format as the client asked for them (subscribed connections).</param>
public sealed record RecordingStatusUpdate(string Device, string Status, string Filename, double Duration, string DevicePath, string RecordingId,
    string StartTime, string? Error = null, string? Event = null, string? Reason = null, bool? Restarting = null, bool? Resumed = null, string? Segment = null,
    Appliance.Media.Recordings.RequestedOptions? Options = null);

/// <summary>recording_progress_update (recording.progress).</summary>
public sealed record RecordingProgressUpdate(string Device, string SessionId, string Filename, double Duration, long FileSize, string Segment,
    int SegmentCount, string Event);

/// <summary>snapshot_taken (snapshot.taken).</summary>
public sealed record SnapshotTakenUpdate(string Device, string Filename, long FileSize, string Source, string DownloadUrl, string Event);

/// <summary>stream_status_update (stream.status).</summary>
public sealed record StreamStatusUpdate(string Device, string Path, bool Ready, int Readers, string Event);

/// <summary>system_health_update (system.health): overall status, each component's state, and why.</summary>
public sealed record SystemHealthUpdate(string Status, Dictionary<string, string> Components, string Reason, string Event);

/// <summary>system_event (system.startup / system.shutdown).</summary>
public sealed record SystemEventUpdate(string Event, string Version, double Uptime);

/// <summary>button_pressed (button.pressed): which button, how long, what it does and on which cameras.</summary>
public sealed record ButtonPressedUpdate(string Button, string Press, string Action, List<string> Devices, string Origin, string Event);

/// <summary>update_progress (update.progress): one step of install_update's installation; status installing|succeeded|failed,
/// error (RAUC's text) only when failed.</summary>
public sealed record UpdateProgressUpdate(int Percent, string Message, string Status, string? Bundle, string? Error, string Event);

/// <summary>Source-generated JSON for every notification's params (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(CameraStatusUpdate))]
[JsonSerializable(typeof(RecordingStatusUpdate))]
[JsonSerializable(typeof(RecordingProgressUpdate))]
[JsonSerializable(typeof(SnapshotTakenUpdate))]
[JsonSerializable(typeof(StreamStatusUpdate))]
[JsonSerializable(typeof(SystemHealthUpdate))]
[JsonSerializable(typeof(SystemEventUpdate))]
[JsonSerializable(typeof(ButtonPressedUpdate))]
[JsonSerializable(typeof(UpdateProgressUpdate))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class NotificationJsonContext : JsonSerializerContext;
