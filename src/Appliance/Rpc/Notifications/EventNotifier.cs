using System.Text.Json.Serialization.Metadata;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Gpio;
using Appliance.Health;
using Appliance.Media;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Security;
using Appliance.Storage;
using Appliance.Update;

namespace Appliance.Rpc.Notifications;

/// <summary>
/// Turns the hub's events into JSON-RPC notifications. For each event it finds the connections that
/// get it — a never-subscribed connection only the v1 camera/recording notifications, a subscribed one
/// only its topics, for its device — and only then serializes: once per distinct set of bytes (v1 or
/// subscribed copy; camera notifications also per host the clients used, for the stream URLs), the
/// same buffer queued to every client that gets it. A client whose bounded queue is full loses the
/// notification, counted for it; nobody else waits. Details only an admin may see (the update
/// bundle's location) are left out of the copy that goes to viewers and operators.
/// </summary>
public sealed class EventNotifier(ConnectionRegistry connections, ConfigStore config)
{
    public IDisposable Attach(EventHub hub) => hub.Subscribe(nameof(EventNotifier), Deliver);

    public void Deliver(ApplianceEvent e)
    {
        var topic = TopicOf(e);
        if (topic == EventTopic.None) return;
        var v1 = (topic & EventTopic.V1) != 0;
        var perHost = e is CameraChange;
        var adminOnlyDetails = e is UpdateProgress;
        var device = e.Device;
        var now = DateTimeOffset.UtcNow;
        Frames frames = default;
        foreach (var client in connections.All)
        {
            var subscription = client.Subscription;
            bool subscribed;
            if (subscription is null)
            {
                if (!v1) continue;
                subscribed = false;
            }
            else if (subscription.Wants(topic, device)) subscribed = true;
            else continue;
            var role = client.CurrentRole(now);
            if (role == Role.None) continue;
            var host = perHost ? client.RequestHost : "";
            var admin = adminOnlyDetails && role >= Role.Admin;
            var frame = frames.Find(subscribed, host, admin);
            if (frame is null)
            {
                frame = Serialize(e, topic, subscribed, host, admin);
                frames.Add(subscribed, host, admin, frame);
            }
            connections.Send(client, frame);
        }
    }

    /// <summary>The topic an event is published under; None for events no client is told about.</summary>
    public static EventTopic TopicOf(ApplianceEvent e) => e switch
    {
        CameraChange c => c.Kind switch
        {
            CameraChangeKind.Connected => EventTopic.CameraConnected,
            CameraChangeKind.Disconnected => EventTopic.CameraDisconnected,
            _ => EventTopic.CameraStatusChange,
        },
        RecordingEvent r => r.Status switch
        {
            RecordingStatus.Started => EventTopic.RecordingStart,
            RecordingStatus.Failed => EventTopic.RecordingError,
            _ => EventTopic.RecordingStop,
        },
        RecordingProgress => EventTopic.RecordingProgress,
        SnapshotTaken => EventTopic.SnapshotTaken,
        StreamStatusChanged => EventTopic.StreamStatus,
        HealthChanged => EventTopic.SystemHealth,
        ServiceLifecycleEvent s => s.Started ? EventTopic.SystemStartup : EventTopic.SystemShutdown,
        ButtonPressed => EventTopic.ButtonPressed,
        UpdateProgress => EventTopic.UpdateProgress,
        _ => EventTopic.None,
    };

    /// <summary>The frame for one event: <paramref name="subscribed"/> adds "event" (and a failed
    /// recording's error); <paramref name="host"/> is the client's host for stream URLs.</summary>
    public byte[] Serialize(ApplianceEvent e, EventTopic topic, bool subscribed, string host, bool admin = false)
    {
        var name = subscribed ? EventTopics.Name(topic) : null;
        var c = NotificationJsonContext.Default;
        return e switch
        {
            CameraChange change => Frame("camera_status_update", Camera(change.Current, host, name), c.CameraStatusUpdate),
            RecordingEvent r => Frame("recording_status_update", Recording(r, name), c.RecordingStatusUpdate),
            RecordingProgress p => Frame("recording_progress_update", new RecordingProgressUpdate(p.Session.Camera.Device, p.Session.SessionId,
                p.Session.FileName, Math.Round(p.Duration.TotalSeconds, 3), p.FileSize, p.Segment, p.SegmentCount, name!), c.RecordingProgressUpdate),
            SnapshotTaken s => Frame("snapshot_taken", new SnapshotTakenUpdate(s.Outcome.Camera.Device, s.Outcome.FileName, s.Outcome.FileSize,
                s.Outcome.Source, MediaKinds.DownloadUrl(MediaKind.Snapshot, s.Outcome.FileName), name!), c.SnapshotTakenUpdate),
            StreamStatusChanged s => Frame("stream_status_update", new StreamStatusUpdate(s.Camera, s.Path, s.Ready, s.Readers, name!), c.StreamStatusUpdate),
            HealthChanged h => Frame("system_health_update", new SystemHealthUpdate(h.Overall,
                h.Components.ToDictionary(x => x.Name, x => HealthRegistry.StateName(x.State), StringComparer.Ordinal), h.Reason, name!), c.SystemHealthUpdate),
            ServiceLifecycleEvent s => Frame("system_event", new SystemEventUpdate(name!, s.Version, Math.Round(s.Uptime.TotalSeconds, 3)), c.SystemEventUpdate),
            ButtonPressed b => Frame("button_pressed", new ButtonPressedUpdate(b.Plan.Button, b.Plan.PressName, b.Plan.Action, b.Plan.Devices, b.Origin, name!),
                c.ButtonPressedUpdate),
            UpdateProgress u => Frame("update_progress", new UpdateProgressUpdate(u.Percent, u.Message, InstallStates.Name(u.Status), admin ? u.Bundle : null, u.Error, name!),
                c.UpdateProgressUpdate),
            _ => throw new ArgumentException($"no notification for {e.GetType().Name}", nameof(e)),
        };
    }

    private CameraStatusUpdate Camera(Camera camera, string host, string? eventName)
    {
        var o = CameraObjects.From(camera, host, config.Current);
        return new CameraStatusUpdate(o.Device, o.Status, o.Name, o.Resolution, o.Fps, o.Streams, o.DevicePath, eventName);
    }

    private static RecordingStatusUpdate Recording(RecordingEvent r, string? eventName)
    {
        var s = r.Session;
        var subscribed = eventName is not null;
        return new RecordingStatusUpdate(s.Camera.Device, r.Status, s.FileName, Math.Round(s.Elapsed.TotalSeconds, 3), s.Camera.Device, s.SessionId,
            MediaFileNames.Iso(s.StartTime), subscribed ? r.Error : null, eventName,
            subscribed && r.Reason is { } reason ? RecordingEndReasons.Name(reason) : null,
            subscribed && r.Restarting ? true : null, subscribed && r.Resumed ? true : null,
            subscribed && (r.Restarting || r.Resumed) ? s.LastFile : null, subscribed ? s.Options.Requested : null);
    }

    private static byte[] Frame<T>(string method, T parameters, JsonTypeInfo<T> info) => NotificationFrame.Serialize(method, parameters, info);

    // The frames made for one event: at most a handful (v1 / subscribed, times the hosts clients used).
    private struct Frames
    {
        private List<(bool Subscribed, string Host, bool Admin, byte[] Frame)>? _made;

        public readonly byte[]? Find(bool subscribed, string host, bool admin)
        {
            if (_made is null) return null;
            foreach (var m in _made)
                if (m.Subscribed == subscribed && m.Host == host && m.Admin == admin) return m.Frame;
            return null;
        }

        public void Add(bool subscribed, string host, bool admin, byte[] frame) => (_made ??= new(2)).Add((subscribed, host, admin, frame));
    }
}
