namespace Appliance.Rpc.Notifications;

/// <summary>The topics a client can subscribe to (contract "Events and subscriptions (v1.1)"), as
/// flags so a connection's choice is one number and routing an event is one AND.</summary>
[Flags]
public enum EventTopic : uint
{
    None = 0,
    CameraConnected = 1 << 0,
    CameraDisconnected = 1 << 1,
    CameraStatusChange = 1 << 2,
    RecordingStart = 1 << 3,
    RecordingStop = 1 << 4,
    RecordingError = 1 << 5,
    RecordingProgress = 1 << 6,
    SnapshotTaken = 1 << 7,
    StreamStatus = 1 << 8,
    SystemHealth = 1 << 9,
    SystemStartup = 1 << 10,
    SystemShutdown = 1 << 11,
    // Beyond the contract's table (additive): the GPIO button and OTA updates.
    ButtonPressed = 1 << 12,
    UpdateProgress = 1 << 13,

    AllCamera = CameraConnected | CameraDisconnected | CameraStatusChange,
    RecordingStatus = RecordingStart | RecordingStop | RecordingError,
    /// <summary>What a connection that never subscribed receives: the two v1 notifications.</summary>
    V1 = AllCamera | RecordingStatus,
}

/// <summary>Topic names on the wire, the contract's aliases, and parsing with errors that name the bad topic.</summary>
public static class EventTopics
{
    private static readonly (string Name, EventTopic Topic)[] Names =
    [
        ("camera.connected", EventTopic.CameraConnected),
        ("camera.disconnected", EventTopic.CameraDisconnected),
        ("camera.status_change", EventTopic.CameraStatusChange),
        ("recording.start", EventTopic.RecordingStart),
        ("recording.stop", EventTopic.RecordingStop),
        ("recording.error", EventTopic.RecordingError),
        ("recording.progress", EventTopic.RecordingProgress),
        ("snapshot.taken", EventTopic.SnapshotTaken),
        ("stream.status", EventTopic.StreamStatus),
        ("system.health", EventTopic.SystemHealth),
        ("system.startup", EventTopic.SystemStartup),
        ("system.shutdown", EventTopic.SystemShutdown),
        ("button.pressed", EventTopic.ButtonPressed),
        ("update.progress", EventTopic.UpdateProgress),
    ];

    // The original clients subscribe with notification method names.
    private static readonly (string Alias, EventTopic Topics)[] Aliases =
    [
        ("camera_status_update", EventTopic.AllCamera),
        ("recording_status_update", EventTopic.RecordingStatus),
        ("system_health_update", EventTopic.SystemHealth),
    ];

    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>A topic name or alias; None when unknown.</summary>
    public static EventTopic Parse(string name)
    {
        foreach (var (n, t) in Names) if (n == name) return t;
        foreach (var (a, t) in Aliases) if (a == name) return t;
        return EventTopic.None;
    }

    /// <summary>The wire name of one topic (a single flag).</summary>
    public static string Name(EventTopic topic)
    {
        foreach (var (n, t) in Names) if (t == topic) return n;
        throw new ArgumentOutOfRangeException(nameof(topic), topic, "not a single topic");
    }

    /// <summary>The topic names in a set, in the table's order.</summary>
    public static List<string> Expand(EventTopic topics) => [.. Names.Where(n => (topics & n.Topic) != 0).Select(n => n.Name)];

    public static string KnownList => string.Join(", ", Names.Select(n => n.Name)) + " (aliases: " + string.Join(", ", Aliases.Select(a => a.Alias)) + ")";
}
