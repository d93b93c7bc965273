namespace Appliance.Rpc.Notifications;

/// <summary>
/// What one connection asked for with subscribe_events: the topics and an optional device filter.
/// Immutable: the connection swaps the whole value, so routing reads it without a lock. A
/// connection that never subscribed has none and receives the v1 notifications only.
/// </summary>
/// <param name="Device">Only events about this camera ("/dev/video0", "virtual0"); service-wide events
/// (system.*, button.pressed) are not about one camera and always pass.</param>
public sealed record EventSubscription(EventTopic Topics, string? Device)
{
    public bool Wants(EventTopic topic, string? device) =>
        (Topics & topic) != 0 && (Device is null || device is null || Device == device);
}
