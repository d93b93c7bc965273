using System.Text.Json.Serialization;

namespace Appliance.Security;

internal sealed class JwtHeader
{
    [JsonPropertyName("alg")] public string? Alg { get; set; }
    [JsonPropertyName("typ")] public string? Typ { get; set; }
}

internal sealed class JwtClaims
{
    [JsonPropertyName("user_id")] public string? UserId { get; set; }
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("iat")] public long? Iat { get; set; }
    [JsonPropertyName("exp")] public long? Exp { get; set; }
    [JsonPropertyName("nbf")] public long? Nbf { get; set; }
}

/// <summary>On-disk API key record: only the SHA-256 of the key is stored, never the key.</summary>
public sealed class ApiKeyRecord
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("role")] public string Role { get; set; } = "viewer";
    [JsonPropertyName("sha256")] public string Sha256 { get; set; } = "";
    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ApiKeyFile
{
    [JsonPropertyName("keys")] public List<ApiKeyRecord> Keys { get; set; } = [];
}

[JsonSerializable(typeof(JwtHeader))]
[JsonSerializable(typeof(JwtClaims))]
[JsonSerializable(typeof(ApiKeyFile))]
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SecurityJsonContext : JsonSerializerContext;
