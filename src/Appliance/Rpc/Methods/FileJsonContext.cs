using System.Text.Json.Serialization;

namespace Appliance.Rpc.Methods;

/// <summary>
/// Source-generated JSON for the file and storage results. Nulls are written, not omitted: a
/// recording whose duration ffprobe cannot read is <c>"duration": null</c>, so clients always
/// find every contract field.
/// </summary>
[JsonSerializable(typeof(RecordingListResult))]
[JsonSerializable(typeof(SnapshotListResult))]
[JsonSerializable(typeof(RecordingInfoResult))]
[JsonSerializable(typeof(SnapshotInfoResult))]
[JsonSerializable(typeof(DeleteFileResult))]
[JsonSerializable(typeof(StorageInfoResult))]
[JsonSerializable(typeof(RetentionPolicyResult))]
[JsonSerializable(typeof(CleanupResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class FileJsonContext : JsonSerializerContext;
