using System.Text.Json.Serialization;

namespace Appliance.Gpio;

/// <summary>press_button's result: the button_pressed notification's fields plus how it went on each camera.</summary>
public sealed record ButtonPressResult(string Button, string Press, string Action, List<string> Devices, List<DeviceOutcome> Results);

/// <summary>Source-generated JSON for press_button and get_gpio_state (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(ButtonPressResult))]
[JsonSerializable(typeof(GpioState))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class GpioJsonContext : JsonSerializerContext;
