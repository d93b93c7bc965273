using System.Text.Json.Serialization;

namespace Appliance.MediaMtx;

// The subset of MediaMTX's control API v3 (openapi.yaml, v1.5 .. v1.20) that the service uses.
// Requests carry only fields MediaMTX knows (it answers 400 to unknown fields); responses are read
// leniently because their shape changed across versions (ready/bytesSent -> available/outboundBytes).

/// <summary>The path configuration fields the service sets (PathConf). Null fields are not sent.</summary>
public sealed class PathConf
{
    public string? Name { get; set; }
    public string? Source { get; set; }
    public string? RunOnDemand { get; set; }
    public bool? RunOnDemandRestart { get; set; }
    public string? RunOnDemandStartTimeout { get; set; }
    public string? RunOnDemandCloseAfter { get; set; }
    public bool? Record { get; set; }
}

public sealed class PathConfList
{
    public int ItemCount { get; set; }
    public int PageCount { get; set; }
    public List<PathConf> Items { get; set; } = [];
}

public sealed class PathSource
{
    public string? Type { get; set; }
    public string? Id { get; set; }
}

public sealed class PathReader
{
    public string? Type { get; set; }
    public string? Id { get; set; }
}

/// <summary>Runtime state of a path, as any MediaMTX version since v1.5 reports it.</summary>
public sealed class PathStatus
{
    public string Name { get; set; } = "";
    public string? ConfName { get; set; }
    public PathSource? Source { get; set; }
    // v1.16+
    public bool? Available { get; set; }
    public string? AvailableTime { get; set; }
    public bool? Online { get; set; }
    public ulong? InboundBytes { get; set; }
    public ulong? OutboundBytes { get; set; }
    // up to v1.15 (still sent, deprecated, by later versions)
    public bool? Ready { get; set; }
    public string? ReadyTime { get; set; }
    public ulong? BytesReceived { get; set; }
    public ulong? BytesSent { get; set; }
    public List<PathReader>? Readers { get; set; }

    /// <summary>Ready to be read, whichever field this version uses.</summary>
    [JsonIgnore] public bool IsReady => Available ?? Ready ?? false;
    [JsonIgnore] public ulong BytesOut => OutboundBytes ?? BytesSent ?? 0;
    [JsonIgnore] public ulong BytesIn => InboundBytes ?? BytesReceived ?? 0;
    [JsonIgnore] public int ReaderCount => Readers?.Count ?? 0;
}

public sealed class PathStatusList
{
    public int ItemCount { get; set; }
    public int PageCount { get; set; }
    public List<PathStatus> Items { get; set; } = [];
}

public sealed class ServerInfo
{
    public string? Version { get; set; }
    public string? Started { get; set; }
}

public sealed class ErrorBody
{
    public string? Status { get; set; }
    public string? Error { get; set; }
}

public sealed class RecordingSegment
{
    public string? Start { get; set; }
}

public sealed class Recording
{
    public string? Name { get; set; }
    public List<RecordingSegment> Segments { get; set; } = [];
}

public sealed class RecordingList
{
    public int ItemCount { get; set; }
    public int PageCount { get; set; }
    public List<Recording> Items { get; set; } = [];
}

[JsonSerializable(typeof(PathConf))]
[JsonSerializable(typeof(PathConfList))]
[JsonSerializable(typeof(PathStatus))]
[JsonSerializable(typeof(PathStatusList))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(Recording))]
[JsonSerializable(typeof(RecordingList))]
[JsonSerializable(typeof(Dictionary<string, System.Text.Json.JsonElement>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class MediaMtxJsonContext : JsonSerializerContext;
