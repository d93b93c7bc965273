using Appliance.Media;
using Appliance.Media.Recordings;

namespace Appliance.Rpc.Notifications;

/// <summary>The v1 notification's exact fields (plus the copies the original SDKs read).</summary>
public sealed record RecordingStatusUpdate(string Device, string Status, string Filename, double Duration, string DevicePath, string RecordingId, string StartTime);

/// <summary>Sends <c>recording_status_update</c> (STARTED / STOPPED / FAILED) to authenticated clients,
/// serialized once for all of them.</summary>
public sealed class RecordingStatusNotifier(Recorder recorder, ConnectionRegistry connections)
{
    public void Start() => recorder.Changed += OnChanged;

    private void OnChanged(RecordingEvent e)
    {
        var s = e.Session;
        var update = new RecordingStatusUpdate(s.Camera.Device, e.Status, s.FileName, Math.Round(s.Elapsed.TotalSeconds, 3), s.Camera.Device,
            s.SessionId, MediaFileNames.Iso(s.StartTime));
        var frame = NotificationFrame.Serialize("recording_status_update", update, RpcJsonContext.Default.RecordingStatusUpdate);
        connections.SendToAuthenticated(frame);
    }
}
