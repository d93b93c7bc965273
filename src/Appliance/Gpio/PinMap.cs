namespace Appliance.Gpio;

/// <summary>What a pin does on the appliance.</summary>
public enum PinRole { StatusLed, RecordingLed, ActivityLed, SnapshotButton }

/// <summary>Pull resistor of an input line: "pull-up", "pull-down" or "none" (external resistor, or leave as it is).</summary>
public enum PinBias { None, PullUp, PullDown }

/// <summary>One wired pin: a line of the gpiochip found by its label (the chip number is not stable
/// across kernels), and whether the active state is a low level.</summary>
public sealed record PinAssignment(PinRole Role, string ChipLabel, int Line, bool ActiveLow, PinBias Bias)
{
    public override string ToString() => $"{PinMap.KeyOf(Role)} = {ChipLabel} line {Line}{(ActiveLow ? " (active low)" : "")}";
}

/// <summary>A board's pins (board/&lt;board&gt;/pins.toml). A board without GPIO has none.</summary>
public sealed record PinMap(string Board, string Description, string Source, IReadOnlyList<PinAssignment> Pins)
{
    public PinAssignment? Find(PinRole role) => Pins.FirstOrDefault(p => p.Role == role);

    /// <summary>Same wiring (the source file and description do not matter for the lines).</summary>
    public bool SameWiring(PinMap other) => Board == other.Board && Pins.SequenceEqual(other.Pins);

    public static string KeyOf(PinRole role) => role switch
    {
        PinRole.StatusLed => "status_led",
        PinRole.RecordingLed => "recording_led",
        PinRole.ActivityLed => "activity_led",
        _ => "snapshot_button",
    };
}

// The TOML shape of pins.toml, bound by Tomlyn's source generator (PinMapTomlContext): no reflection.
public sealed class PinMapFile
{
    public string Board { get; set; } = "";
    public string Description { get; set; } = "";
    public PinFile? StatusLed { get; set; }
    public PinFile? RecordingLed { get; set; }
    public PinFile? ActivityLed { get; set; }
    public PinFile? SnapshotButton { get; set; }
}

public sealed class PinFile
{
    public string Chip { get; set; } = "";
    public int Line { get; set; } = -1;
    public bool ActiveLow { get; set; }
    public string Bias { get; set; } = "none";
}
