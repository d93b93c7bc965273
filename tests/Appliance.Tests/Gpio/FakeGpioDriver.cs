using System.Device.Gpio;

namespace Appliance.Tests.Gpio;

/// <summary>
/// The unit tests' gpiochip: a small subclass of System.Device.Gpio's GpioDriver (its members are
/// protected internal, so a subclass is the natural double). It keeps each line's level, records
/// every write with the fake clock's time, raises edge callbacks when a test moves an input, and
/// can refuse lines as busy, as the kernel does with EBUSY.
/// </summary>
public sealed class FakeGpioDriver(TimeProvider clock, int lines = 58) : GpioDriver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, bool> _levels = [];
    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, PinChangeEventHandler> _callbacks = [];
    private readonly DateTimeOffset _start = clock.GetUtcNow();

    public List<(TimeSpan At, int Line, bool High)> Writes { get; } = [];
    public HashSet<int> Busy { get; } = [];
    public bool Disposed { get; private set; }

    public bool Level(int line) { lock (_gate) return _levels.GetValueOrDefault(line); }
    public PinMode? Mode(int line) { lock (_gate) return _modes.TryGetValue(line, out var m) ? m : null; }
    public bool IsOpen(int line) { lock (_gate) return _modes.ContainsKey(line); }
    public bool HasCallback(int line) { lock (_gate) return _callbacks.ContainsKey(line); }

    /// <summary>Moves an input line (a finger on the button) and raises the edge like the kernel would.</summary>
    public void SetInput(int line, bool high)
    {
        PinChangeEventHandler? callback;
        lock (_gate)
        {
            if (_levels.GetValueOrDefault(line) == high) return;
            _levels[line] = high;
            _callbacks.TryGetValue(line, out callback);
        }
        callback?.Invoke(this, new PinValueChangedEventArgs(high ? PinEventTypes.Rising : PinEventTypes.Falling, line));
    }

    public List<(TimeSpan At, bool High)> WritesTo(int line) { lock (_gate) return [.. Writes.Where(w => w.Line == line).Select(w => (w.At, w.High))]; }

    protected override int PinCount => lines;

    protected override void OpenPin(int pinNumber) { }

    protected override void ClosePin(int pinNumber) { lock (_gate) _modes.Remove(pinNumber); }

    protected override void SetPinMode(int pinNumber, PinMode mode)
    {
        lock (_gate)
        {
            if (Busy.Contains(pinNumber)) throw new IOException($"Device or resource busy (line {pinNumber})");
            _modes[pinNumber] = mode;
            // A pull resistor sets the level of an unconnected input, as gpio-sim's pull does.
            if (mode == PinMode.InputPullUp) _levels[pinNumber] = true;
            if (mode == PinMode.InputPullDown) _levels[pinNumber] = false;
        }
    }

    protected override void SetPinMode(int pinNumber, PinMode mode, PinValue initialValue)
    {
        SetPinMode(pinNumber, mode);
        if (mode == PinMode.Output) Write(pinNumber, initialValue);
    }

    protected override PinMode GetPinMode(int pinNumber) { lock (_gate) return _modes[pinNumber]; }

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber) { lock (_gate) return _levels.GetValueOrDefault(pinNumber) ? PinValue.High : PinValue.Low; }

    protected override void Write(int pinNumber, PinValue value)
    {
        lock (_gate)
        {
            if (Disposed) throw new ObjectDisposedException(nameof(FakeGpioDriver));
            _levels[pinNumber] = value == PinValue.High;
            Writes.Add((clock.GetUtcNow() - _start, pinNumber, value == PinValue.High));
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the service uses edge callbacks");

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        lock (_gate) _callbacks[pinNumber] = callback;
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
        lock (_gate) _callbacks.Remove(pinNumber);
    }

    protected override void Dispose(bool disposing)
    {
        lock (_gate) Disposed = true;
        base.Dispose(disposing);
    }
}

/// <summary>Chips by label for the service under test; a label not in the dictionary is "not found".</summary>
public sealed class FakeChipOpener(Dictionary<string, FakeGpioDriver> chips) : Appliance.Gpio.IGpioChipOpener
{
    public List<string> Opened { get; } = [];

    public GpioDriver Open(string label)
    {
        Opened.Add(label);
        return chips.TryGetValue(label, out var d) ? d
            : throw new Appliance.Gpio.GpioChipUnavailableException($"no gpiochip labelled \"{label}\" (this machine has none)");
    }
}
