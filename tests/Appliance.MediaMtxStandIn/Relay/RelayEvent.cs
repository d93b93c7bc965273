using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Relay;

/// <summary>One line of the relay's stdout (see tests/media/rtsp-relay.py for the events).</summary>
internal sealed record RelayEvent(string Event, string? Path, string? Id, JsonObject Raw)
{
    public static RelayEvent? Parse(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject obj || (string?)obj["event"] is not { } name) return null;
            return new RelayEvent(name, (string?)obj["path"], (string?)obj["id"], obj);
        }
        catch (System.Text.Json.JsonException)
        {
            return null; // a stray line (e.g. a GStreamer warning on stdout) is not an event
        }
    }

    public long Long(string field) => Raw[field] is JsonValue value && value.TryGetValue<long>(out var n) ? n : 0;
}
