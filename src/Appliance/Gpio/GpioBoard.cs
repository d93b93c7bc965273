using System.Device.Gpio;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>
/// The open lines of one pin map: an output per LED, the button's input with edge events. A chip
/// that cannot be found or opened, or a line another program holds, becomes a warning and that
/// pin is left out: the service runs on without it (the LEDs are still logged and reported, the
/// button can still be pressed through press_button).
/// </summary>
public sealed class GpioBoard : IDisposable
{
    private readonly List<GpioController> _controllers = [];
    private readonly Dictionary<PinRole, GpioLedLine> _leds = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _opened = [];
    private (GpioController Controller, int Line, PinChangeEventHandler Handler)? _buttonEvents;

    private GpioBoard(PinMap map) => Map = map;

    public PinMap Map { get; }
    public ButtonDebouncer? Button { get; private set; }
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>"status_led pinctrl-bcm2711:17, ..." for get_status; or why nothing is wired.</summary>
    public string Summary => _opened.Count > 0 ? string.Join(", ", _opened) : Map.Pins.Count == 0 ? $"board {Map.Board} has no GPIO pins" : "no line opened";

    public ILedLine? Led(PinRole role) => _leds.GetValueOrDefault(role);

    /// <summary>At least one line (LED or button) is open and driven.</summary>
    public bool AnyLineOpen => _opened.Count > 0;

    public static GpioBoard Open(PinMap map, IGpioChipOpener chips, TimeProvider time, TimeSpan debounce, TimeSpan longPress, ILogger log)
    {
        var board = new GpioBoard(map);
        foreach (var chip in map.Pins.GroupBy(p => p.ChipLabel))
        {
            GpioController controller;
            try
            {
                controller = new GpioController(chips.Open(chip.Key));
            }
            catch (GpioChipUnavailableException e)
            {
                board._warnings.Add($"{string.Join(", ", chip.Select(p => PinMap.KeyOf(p.Role)))} not available: {e.Message}");
                continue;
            }
            board._controllers.Add(controller);
            foreach (var pin in chip)
            {
                try
                {
                    if (pin.Line >= controller.PinCount) throw new ArgumentOutOfRangeException(nameof(pin), $"the chip has only {controller.PinCount} lines");
                    if (pin.Role == PinRole.SnapshotButton) board.OpenButton(controller, pin, time, debounce, longPress);
                    else board._leds[pin.Role] = GpioLedLine.Open(controller, pin, log);
                    board._opened.Add($"{PinMap.KeyOf(pin.Role)} {pin.ChipLabel}:{pin.Line}");
                }
                catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
                {
                    // EBUSY: another program (or a kernel driver, e.g. an overlay) holds the line.
                    board._warnings.Add($"{pin}: cannot open the line (busy or not usable): {e.Message}");
                }
            }
        }
        return board;
    }

    private void OpenButton(GpioController controller, PinAssignment pin, TimeProvider time, TimeSpan debounce, TimeSpan longPress)
    {
        controller.OpenPin(pin.Line, pin.Bias switch { PinBias.PullUp => PinMode.InputPullUp, PinBias.PullDown => PinMode.InputPullDown, _ => PinMode.Input });
        var pressedLevel = pin.ActiveLow ? PinValue.Low : PinValue.High;
        var button = new ButtonDebouncer(() => controller.Read(pin.Line) == pressedLevel, time, debounce, longPress);
        PinChangeEventHandler handler = (_, _) => button.OnEdge(); // on libgpiod's event thread: just restarts a timer
        try
        {
            controller.RegisterCallbackForPinValueChangedEvent(pin.Line, PinEventTypes.Rising | PinEventTypes.Falling, handler);
        }
        catch
        {
            button.Dispose();
            throw;
        }
        _buttonEvents = (controller, pin.Line, handler);
        Button = button;
    }

    public void Dispose()
    {
        // Edges first (libgpiod's event thread stops), then the debouncer's timers.
        if (_buttonEvents is { } b)
        {
            try { b.Controller.UnregisterCallbackForPinValueChangedEvent(b.Line, b.Handler); }
            catch (InvalidOperationException) { }
        }
        Button?.Dispose();
        // A released output keeps its last level on most SoCs: leave every LED dark.
        foreach (var led in _leds.Values) led.Set(false);
        foreach (var c in _controllers) c.Dispose();
    }

    /// <summary>An LED output; active-low pins are inverted here so callers think in "lit".</summary>
    private sealed class GpioLedLine(GpioController controller, PinAssignment pin, ILogger log) : ILedLine
    {
        private bool _failed;

        public static GpioLedLine Open(GpioController controller, PinAssignment pin, ILogger log)
        {
            controller.OpenPin(pin.Line, PinMode.Output, pin.ActiveLow ? PinValue.High : PinValue.Low);
            return new GpioLedLine(controller, pin, log);
        }

        public void Set(bool on)
        {
            try
            {
                controller.Write(pin.Line, on != pin.ActiveLow ? PinValue.High : PinValue.Low);
                _failed = false;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                if (!_failed) log.LogWarning("GPIO {Pin}: write failed: {Error}", pin, e.Message);
                _failed = true;
            }
        }
    }
}
