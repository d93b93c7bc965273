using System.Diagnostics;

namespace Appliance.Events;

/// <summary>
/// Something that happened in the service, published once on the <see cref="EventHub"/>. Each
/// producer defines its own event type next to its code (CameraChange in Cameras/, RecordingEvent
/// in Media/Recordings/, ...); the faces (JSON-RPC notifications, status LEDs, systemd STATUS=)
/// read them from the hub and never ask a subsystem on their own.
/// </summary>
public abstract record ApplianceEvent
{
    /// <summary>Wall-clock time of the event (for clients).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Monotonic timestamp (Stopwatch ticks, CLOCK_MONOTONIC on Linux) taken when the event
    /// was made: what the event-to-wire latency figures are measured from.</summary>
    public long Timestamp { get; init; } = Stopwatch.GetTimestamp();

    /// <summary>The camera the event is about ("/dev/video0", "virtual0"), or null for service-wide events.</summary>
    public virtual string? Device => null;
}

/// <summary>The service is up (the API serves) or is going down.</summary>
public sealed record ServiceLifecycleEvent(bool Started, string Version, TimeSpan Uptime) : ApplianceEvent;
