using System.Text.Json.Serialization;
using Tomlyn.Serialization;

namespace Appliance.Gpio;

/// <summary>Tomlyn's source-generated reader for pins.toml (snake_case keys: active_low, status_led).</summary>
[TomlSerializable(typeof(PinMapFile))]
[TomlSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class PinMapTomlContext : TomlSerializerContext;
