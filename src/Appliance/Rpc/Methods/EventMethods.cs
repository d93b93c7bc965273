using System.Text.Json;
using Appliance.Rpc.Notifications;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

public sealed record SubscribeResult(bool Subscribed, List<string> Topics, SubscriptionFilters Filters);

public sealed record UnsubscribeResult(bool Unsubscribed, List<string> Topics, List<string> RemainingTopics);

public sealed record SubscriptionFilters(string? Device = null);

public sealed record GlobalSubscriptionStats(int TotalSubscriptions, int ActiveClients, Dictionary<string, int> TopicCounts, long DroppedEvents);

public sealed record SubscriptionStatsResult(GlobalSubscriptionStats GlobalStats, List<string> ClientTopics, string ClientId,
    SubscriptionFilters ClientFilters, long ClientDroppedEvents);

/// <summary>
/// subscribe_events, unsubscribe_events, get_subscription_stats (viewer). Topics add up over calls;
/// <c>filters</c>, when given, replace the connection's filters (<c>{}</c> clears them). Once a
/// connection has subscribed it receives only its topics, even after unsubscribing from all of them:
/// it has said what it wants. A subscription made with a call's <c>auth_token</c> on a connection that
/// is not authenticated binds that credential to the connection, since notifications need an identity.
/// </summary>
public sealed class EventMethods(ConnectionRegistry connections, Cameras.CameraRegistry cameras)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("subscribe_events", Role.Viewer, call => RpcResult.Completed(Subscribe(call), RpcJsonContext.Default.SubscribeResult));
        table.Add("unsubscribe_events", Role.Viewer, call => RpcResult.Completed(Unsubscribe(call), RpcJsonContext.Default.UnsubscribeResult));
        table.Add("get_subscription_stats", Role.Viewer, call => RpcResult.Completed(Stats(call.Connection), RpcJsonContext.Default.SubscriptionStatsResult));
    }

    private SubscribeResult Subscribe(RpcCall call)
    {
        var topics = Topics(call, required: true);
        var filters = call.Params.ValueKind == JsonValueKind.Object && call.Params.TryGetProperty("filters", out var f) && f.ValueKind != JsonValueKind.Null ? Filters(f) : null;
        var connection = call.Connection;
        if (call.CallCredential is { Ok: true } credential && connection.CurrentRole(DateTimeOffset.UtcNow) == Role.None)
            connection.Bind(credential);
        var current = connection.Subscription;
        var next = new EventSubscription((current?.Topics ?? EventTopic.None) | topics, filters is null ? current?.Device : filters.Device);
        connection.Subscription = next;
        return new SubscribeResult(true, EventTopics.Expand(next.Topics), new SubscriptionFilters(next.Device));
    }

    private static UnsubscribeResult Unsubscribe(RpcCall call)
    {
        var connection = call.Connection;
        var current = connection.Subscription ?? new EventSubscription(EventTopic.None, null);
        var topics = call.Has("topics") ? Topics(call, required: false) : current.Topics;
        var removed = current.Topics & topics;
        var next = current with { Topics = current.Topics & ~topics };
        connection.Subscription = next;
        return new UnsubscribeResult(true, EventTopics.Expand(removed), EventTopics.Expand(next.Topics));
    }

    private SubscriptionStatsResult Stats(RpcConnection me)
    {
        var counts = EventTopics.All.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
        var total = 0;
        var active = 0;
        long dropped = 0;
        foreach (var c in connections.All)
        {
            dropped += c.DroppedNotifications;
            if (c.Subscription is not { Topics: not EventTopic.None } s) continue;
            active++;
            foreach (var name in EventTopics.Expand(s.Topics))
            {
                counts[name]++;
                total++;
            }
        }
        return new SubscriptionStatsResult(new GlobalSubscriptionStats(total, active, counts, dropped),
            EventTopics.Expand(me.Subscription?.Topics ?? EventTopic.None), me.Id, new SubscriptionFilters(me.Subscription?.Device), me.DroppedNotifications);
    }

    // topics: a non-empty array of topic names or aliases; -32602 names the first unknown one.
    private static EventTopic Topics(RpcCall call, bool required)
    {
        if (call.Params.ValueKind != JsonValueKind.Object || !call.Params.TryGetProperty("topics", out var list) || list.ValueKind == JsonValueKind.Null)
            return required ? throw RpcException.InvalidParams("topics", "'topics' is required: a list of topics, e.g. [\"camera.connected\", \"recording.progress\"]") : EventTopic.None;
        if (list.ValueKind != JsonValueKind.Array) throw RpcException.InvalidParams("topics", "'topics' must be an array of topic names");
        if (required && list.GetArrayLength() == 0) throw RpcException.InvalidParams("topics", "'topics' must name at least one topic");
        var topics = EventTopic.None;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw RpcException.InvalidParams("topics", "every entry of 'topics' must be a string");
            var name = item.GetString()!;
            var topic = EventTopics.Parse(name);
            if (topic == EventTopic.None)
                throw RpcException.InvalidParams("topics", $"unknown topic '{Shorten(name)}'; known topics: {EventTopics.KnownList}");
            topics |= topic;
        }
        return topics;
    }

    private SubscriptionFilters Filters(JsonElement filters)
    {
        if (filters.ValueKind != JsonValueKind.Object) throw RpcException.InvalidParams("filters", "'filters' must be an object, e.g. {\"device\": \"camera0\"}");
        string? device = null;
        foreach (var p in filters.EnumerateObject())
        {
            if (p.Name != "device") throw RpcException.InvalidParams("filters." + Shorten(p.Name), $"unknown filter '{Shorten(p.Name)}' (the only filter is 'device')");
            if (p.Value.ValueKind == JsonValueKind.Null) continue;
            if (p.Value.ValueKind != JsonValueKind.String) throw RpcException.InvalidParams("filters.device", "'filters.device' must be a string such as \"/dev/video0\" or \"camera0\"");
            device = DeviceId(p.Value.GetString()!);
        }
        return new SubscriptionFilters(device);
    }

    // The device id events carry: "/dev/videoN" (also for "cameraN") or "virtualN". A camera need not be
    // connected yet (a dashboard may wait for it), but the name must be one the appliance can ever have.
    private string DeviceId(string given)
    {
        if (cameras.Find(given) is { } known) return known.Device;
        if (Cameras.CameraId.TryParse(given, out var id)) return id.Device;
        throw RpcException.InvalidParams("filters.device", $"'filters.device' must name a camera as /dev/videoN, cameraN or virtualN (got '{Shorten(given)}')");
    }

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "...";
}
