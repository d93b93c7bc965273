using System.Text.Json.Serialization;

namespace Appliance.Hosting;

/// <summary>Source-generated JSON for the host's own HTTP answers (/health/*), apart from the API's shapes.</summary>
[JsonSerializable(typeof(HealthResponse))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class HostingJsonContext : JsonSerializerContext;
