using System.Text.Json.Serialization;

namespace Appliance.Gpio;

/// <summary>button_pressed's params.</summary>
public sealed record ButtonPressedNotification(string Button, string Press, string Action, List<string> Devices);

/// <summary>snapshot_taken's params (the contract's v1.1 snapshot.taken topic shape).</summary>
public sealed record SnapshotTakenNotification(string Device, string Filename, long FileSize, string Source);

/// <summary>press_button's result: the notification's fields plus how it went on each camera.</summary>
public sealed record ButtonPressResult(string Button, string Press, string Action, List<string> Devices, List<DeviceOutcome> Results);

/// <summary>Source-generated JSON for the GPIO notifications and press_button (no reflection in the AOT binary).</summary>
[JsonSerializable(typeof(ButtonPressedNotification))]
[JsonSerializable(typeof(SnapshotTakenNotification))]
[JsonSerializable(typeof(ButtonPressResult))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
public sealed partial class GpioJsonContext : JsonSerializerContext;
