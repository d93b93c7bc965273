using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>A source or reader as /v3/paths shows them: {"type": "rtspSession", "id": uuid}.</summary>
internal sealed record PathEndpoint(string Type, string Id);

/// <summary>A track and what is known of it (codec properties arrive after the first frames).</summary>
internal sealed record TrackInfo(string Codec, int? Width = null, int? Height = null, string? Profile = null, string? Level = null);

/// <summary>
/// The runtime side of one configured path (MediaMTX's core.path): its publisher, readers and
/// counters, and its on-demand state. Mutated only under the stand-in's lock.
/// </summary>
internal sealed class PathState(string name, JsonObject conf)
{
    public string Name { get; } = name;

    /// <summary>The path's configuration as config/paths/get shows it.</summary>
    public JsonObject Conf { get; set; } = conf;

    public PathEndpoint? Source { get; set; }

    /// <summary>Set when the publisher came up (available/online/ready time).</summary>
    public DateTimeOffset AvailableTime { get; set; }

    public List<PathEndpoint> Readers { get; } = [];

    public long BytesReceived { get; set; }

    public long BytesSent { get; set; }

    public List<TrackInfo> Tracks { get; } = [];

    /// <summary>Without alwaysAvailable (not modelled), available = online = a publisher is up.</summary>
    public bool Available => Source is not null;

    public string RunOnDemand => (string?)Conf["runOnDemand"] ?? "";

    public bool HasOnDemandPublisher => RunOnDemand.Length > 0;

    public OnDemandPhase Phase { get; set; } = OnDemandPhase.Initial;

    public OnDemandCommand? Command { get; set; }

    public CancellationTokenSource? ReadyTimer { get; set; }

    public CancellationTokenSource? CloseTimer { get; set; }

    /// <summary>Publisher gone: the stream, its readers and its counters go with it.</summary>
    public void ClearStream()
    {
        Source = null;
        Readers.Clear();
        Tracks.Clear();
        BytesReceived = BytesSent = 0;
    }
}
