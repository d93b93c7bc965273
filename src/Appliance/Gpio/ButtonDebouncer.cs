namespace Appliance.Gpio;

public enum PressKind { Short, Long }

/// <summary>
/// Turns a button line's raw edges into short and long presses.
///
/// Our own debounce instead of Iot.Device.Bindings' GpioButton (checked with 4.2.0): GpioButton
/// reports Press on the first release edge, so contact bounce while pressing already fires a
/// press and loses the hold; its debounce only locks out edges after a release; it fires Press
/// after a hold as well (a long press would also take a snapshot); it times with the wall clock
/// (DateTime.UtcNow jumps when NTP sets the time at boot); and its fallback `new GpioController()`
/// drags a trim-unsafe path (IL2091) into the AOT binary.
///
/// Here every edge restarts a settle timer of gpio.button_debounce_ms; when the line has been
/// quiet that long its level is read and only a real change of the debounced state counts. A
/// press that is still held after gpio.button_long_press_ms fires Long at that moment (feedback
/// while the finger is still on the button); its release then fires nothing. A release before
/// that fires Short. A button already held at start is ignored until it is released.
/// </summary>
public sealed class ButtonDebouncer : IDisposable
{
    private readonly Func<bool> _isPressed;
    private readonly Lock _gate = new();
    private readonly ITimer _settle;
    private readonly ITimer _longPress;
    private TimeSpan _debounce;
    private TimeSpan _longAfter;
    private bool _pressed;
    private bool _consumed; // this press already fired (long press, or held since start)
    private bool _disposed;

    public ButtonDebouncer(Func<bool> isPressed, TimeProvider time, TimeSpan debounce, TimeSpan longPress)
    {
        _isPressed = isPressed;
        _debounce = debounce;
        _longAfter = longPress;
        _settle = time.CreateTimer(_ => Settle(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _longPress = time.CreateTimer(_ => LongPressReached(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        lock (_gate)
        {
            _pressed = _isPressed();
            _consumed = _pressed;
        }
    }

    /// <summary>Raised on a thread-pool thread (never the line's event thread); handlers must not block.</summary>
    public event Action<PressKind>? Pressed;

    public bool IsPressed { get { lock (_gate) return _pressed; } }

    /// <summary>New timings from a config reload; a press in progress keeps the timing it started with.</summary>
    public void Configure(TimeSpan debounce, TimeSpan longPress)
    {
        lock (_gate)
        {
            _debounce = debounce;
            _longAfter = longPress;
        }
    }

    /// <summary>Any edge of the line (rising or falling: bounce makes the direction meaningless).</summary>
    public void OnEdge()
    {
        lock (_gate)
        {
            if (!_disposed) _settle.Change(_debounce, Timeout.InfiniteTimeSpan);
        }
    }

    private void Settle()
    {
        PressKind? fire = null;
        lock (_gate)
        {
            if (_disposed) return;
            var now = _isPressed();
            if (now == _pressed) return; // a glitch shorter than the debounce time
            _pressed = now;
            if (now)
            {
                _consumed = false;
                // Measured from the first edge: the settle wait is part of the hold.
                var remaining = _longAfter - _debounce;
                _longPress.Change(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _longPress.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (!_consumed) fire = PressKind.Short;
                _consumed = false;
            }
        }
        if (fire is { } kind) Pressed?.Invoke(kind);
    }

    private void LongPressReached()
    {
        lock (_gate)
        {
            if (_disposed || !_pressed || _consumed) return;
            _consumed = true;
        }
        Pressed?.Invoke(PressKind.Long);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _settle.Dispose();
            _longPress.Dispose();
        }
    }
}
