using System.Text.Json.Serialization;
using Appliance.Rpc.Methods;

namespace Appliance.Rpc;

/// <summary>Source-generated JSON for every RPC result shape (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(AuthenticateResult))]
[JsonSerializable(typeof(ServerInfoResult))]
[JsonSerializable(typeof(StatusResult))]
[JsonSerializable(typeof(MetricsResult))]
[JsonSerializable(typeof(CameraListResult))]
[JsonSerializable(typeof(CameraStatusResult))]
[JsonSerializable(typeof(CameraCapabilitiesResult))]
[JsonSerializable(typeof(List<StreamEntry>))]
[JsonSerializable(typeof(SnapshotResult))]
[JsonSerializable(typeof(StartRecordingResult))]
[JsonSerializable(typeof(StopRecordingResult))]
[JsonSerializable(typeof(SubscribeResult))]
[JsonSerializable(typeof(UnsubscribeResult))]
[JsonSerializable(typeof(SubscriptionStatsResult))]
[JsonSerializable(typeof(StreamTokenResult))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class RpcJsonContext : JsonSerializerContext;
