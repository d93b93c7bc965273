using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// A runtime path as GET /v3/paths/get shows it, in the shape of the imitated release:
/// up to 1.15.x name, confName, source, ready, readyTime, tracks, bytesReceived, bytesSent,
/// readers; from 1.16 also available(Time), online(Time), inbound/outboundBytes (the old fields
/// stay, deprecated); from 1.17 tracks2; from 1.20 inboundFramesInError. Field order follows
/// MediaMTX's Go structs.
/// </summary>
internal static class PathJson
{
    public static JsonObject Render(PathState path, MediaMtxVersion version)
    {
        JsonNode? time = path.Available ? GoTime.Format(path.AvailableTime) : null;
        JsonNode? source = path.Source is { } s ? Endpoint(s) : null;
        var tracks = new JsonArray(path.Available ? path.Tracks.Select(t => (JsonNode?)t.Codec).ToArray() : []);
        var readers = new JsonArray(path.Readers.Select(r => (JsonNode?)Endpoint(r)).ToArray());

        if (!version.HasAvailableAndOnline)
        {
            return new JsonObject
            {
                ["name"] = path.Name,
                ["confName"] = path.Name,
                ["source"] = source,
                ["ready"] = path.Available,
                ["readyTime"] = time,
                ["tracks"] = tracks,
                ["bytesReceived"] = path.BytesReceived,
                ["bytesSent"] = path.BytesSent,
                ["readers"] = readers,
            };
        }

        var json = new JsonObject
        {
            ["name"] = path.Name,
            ["confName"] = path.Name,
            ["ready"] = path.Available,
            ["readyTime"] = time,
            ["available"] = path.Available,
            ["availableTime"] = time?.DeepClone(),
            ["online"] = path.Available,
            ["onlineTime"] = time?.DeepClone(),
            ["source"] = source,
            ["tracks"] = tracks,
        };
        if (version.HasTracks2)
            json["tracks2"] = new JsonArray(path.Available ? path.Tracks.Select(t => (JsonNode?)Track2(t)).ToArray() : []);
        json["readers"] = readers;
        json["inboundBytes"] = path.BytesReceived;
        json["outboundBytes"] = path.BytesSent;
        if (version.HasInboundFramesInError) json["inboundFramesInError"] = 0;
        json["bytesReceived"] = path.BytesReceived;
        json["bytesSent"] = path.BytesSent;
        return json;
    }

    private static JsonObject Endpoint(PathEndpoint endpoint) => new() { ["type"] = endpoint.Type, ["id"] = endpoint.Id };

    // H264 properties are width, height, profile and level; null until the relay has parsed them.
    private static JsonObject Track2(TrackInfo track) => new()
    {
        ["codec"] = track.Codec,
        ["codecProps"] = track.Width is { } width && track.Height is { } height
            ? new JsonObject { ["width"] = width, ["height"] = height, ["profile"] = track.Profile ?? "", ["level"] = track.Level ?? "" }
            : null,
    };
}
