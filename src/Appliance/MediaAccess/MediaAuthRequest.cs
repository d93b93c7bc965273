using System.Text.Json.Serialization;

namespace Appliance.MediaAccess;

/// <summary>
/// The body MediaMTX (authMethod: http) POSTs before it lets anyone read, publish or use its API,
/// as built in MediaMTX v1.20's internal/auth/manager.go (authenticateHTTP). MediaMTX fills
/// <see cref="Token"/> from the Bearer token, else from the password, else (RTSP/RTMP only) from
/// the query's token=; for HLS and WebRTC a ?token= stays in <see cref="Query"/> only.
/// </summary>
public sealed record MediaAuthRequest
{
    public string? User { get; init; }
    public string? Password { get; init; }
    public string? Token { get; init; }
    /// <summary>The client's address as MediaMTX saw it (the hook's caller is always MediaMTX on loopback).</summary>
    public string? Ip { get; init; }
    /// <summary>publish, read, playback, api, metrics or pprof.</summary>
    public string? Action { get; init; }
    public string? Path { get; init; }
    /// <summary>rtsp, rtmp, hls, webrtc, srt (empty for api/metrics/pprof).</summary>
    public string? Protocol { get; init; }
    /// <summary>A UUID for readers and publishers, null otherwise.</summary>
    public string? Id { get; init; }
    public string? Query { get; init; }
    public string? UserAgent { get; init; }
}

/// <summary>Source-generated (Native AOT: no reflection), camelCase as MediaMTX writes it.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(MediaAuthRequest))]
internal sealed partial class MediaAccessJsonContext : JsonSerializerContext;
