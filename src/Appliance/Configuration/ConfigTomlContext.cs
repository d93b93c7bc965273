using System.Text.Json.Serialization;
using Tomlyn.Model;
using Tomlyn.Serialization;

namespace Appliance.Configuration;

/// <summary>Tomlyn's source-generated (de)serializer for the config: no reflection, AOT-safe.
/// Without the snake_case policy `port` would not bind to `Port` and defaults would stay silently.</summary>
[TomlSerializable(typeof(ApplianceConfig))]
[TomlSerializable(typeof(TomlTable))]
[TomlSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ConfigTomlContext : TomlSerializerContext;
