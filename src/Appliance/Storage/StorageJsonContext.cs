using System.Text.Json.Serialization;

namespace Appliance.Storage;

/// <summary>Source-generated JSON for the storage state files (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(RetentionPolicy))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
internal sealed partial class StorageJsonContext : JsonSerializerContext;
