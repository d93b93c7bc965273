namespace Appliance.Gpio;

/// <summary>get_gpio_state's answer: the LEDs as the service drives them now, and the buttons.</summary>
/// <param name="Available">True when the board's GPIO lines are open (LEDs really light); false without
/// GPIO (gpio.enabled = false, a board without pins, a missing or busy chip): the LED states are then
/// only kept and reported, and buttons are pressed with press_button.</param>
public sealed record GpioState(bool Available, List<LedState> Leds, List<ButtonState> Buttons);

/// <param name="Name">"status", "recording" or "activity".</param>
/// <param name="Pattern">status: off, starting, healthy, degraded, error, update_pending, update_confirmed;
/// recording: steady or off; activity: flash (a snapshot was just taken) or off.</param>
/// <param name="On">Lit at this instant (a blinking LED alternates).</param>
// No reason text: get_gpio_state is for viewers, and the status LED's reason quotes health details that get_status keeps to admins.
public sealed record LedState(string Name, string Pattern, bool On);

/// <param name="Name">"snapshot".</param>
/// <param name="Action">What a short press does now: "snapshot", or "none" when no target camera is connected.</param>
public sealed record ButtonState(string Name, string Action);
