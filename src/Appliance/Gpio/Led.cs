namespace Appliance.Gpio;

/// <summary>An output line driving an LED (active-low already accounted for): true lights it.</summary>
public interface ILedLine
{
    void Set(bool on);
}

/// <summary>
/// One LED: steady, blinking through a pattern's steps, or flashed briefly on top of that. Blinking
/// is the only thing here on a timer (TimeProvider, so tests run it on a fake clock); the LED's
/// meaning is decided elsewhere, from events. A missing line (no GPIO) keeps the state so the
/// status can still be logged and reported, and does not blink (nobody would see it).
/// </summary>
public sealed class Led : IDisposable
{
    private static readonly LedStep[] Dark = [new(false, 1)];
    private static readonly LedStep[] Lit = [new(true, 1)];

    private readonly Lock _gate = new();
    private readonly ITimer _stepTimer;
    private readonly ITimer _flashTimer;
    private IReadOnlyList<LedStep> _steps = Dark;
    private TimeSpan _unit = TimeSpan.FromSeconds(0.5);
    private int _step;
    private bool _flashing;
    private bool _disposed;
    private bool? _written;
    private ILedLine? _line;

    public Led(TimeProvider time)
    {
        _stepTimer = time.CreateTimer(_ => Advance(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _flashTimer = time.CreateTimer(_ => EndFlash(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Whether the LED is lit right now (what the line was last told).</summary>
    public bool IsOn { get { lock (_gate) return _flashing || _steps[_step].On; } }

    /// <summary>The line to drive; replaced when the pin map reloads. The new line gets the current level at once.</summary>
    public ILedLine? Line
    {
        set
        {
            lock (_gate)
            {
                _line = value;
                _written = null;
                Apply();
            }
        }
    }

    public void Set(bool on) => Show(on ? Lit : Dark, _unit);

    /// <summary>Shows a pattern. The same pattern again keeps its phase (no visible restart on every health report).</summary>
    public void Show(IReadOnlyList<LedStep> steps, TimeSpan unit)
    {
        lock (_gate)
        {
            if (_disposed || (unit == _unit && steps.SequenceEqual(_steps))) return;
            _steps = steps.Count > 0 ? steps : Dark;
            _unit = unit;
            _step = 0;
            Apply();
        }
    }

    /// <summary>Lights the LED for <paramref name="length"/>, then returns to its pattern; a new flash extends it.</summary>
    public void Flash(TimeSpan length)
    {
        lock (_gate)
        {
            if (_disposed) return; // a snapshot finishing while the service stops
            _flashing = true;
            Write();
            _flashTimer.Change(length, Timeout.InfiniteTimeSpan);
        }
    }

    private void EndFlash()
    {
        lock (_gate)
        {
            _flashing = false;
            Write();
        }
    }

    private void Advance()
    {
        lock (_gate)
        {
            if (_disposed || _steps.Count < 2) return; // a late tick after the pattern became steady
            _step = (_step + 1) % _steps.Count;
            Apply();
        }
    }

    // Blinking needs a line to blink: without one (no GPIO) the pattern is kept for reporting but no
    // timer runs, so an appliance without LEDs spends no CPU on them (a blink is two wake-ups a second).
    private void Apply()
    {
        Write();
        var blinking = _steps.Count > 1 && _line is not null && !_disposed;
        _stepTimer.Change(blinking ? _unit * _steps[_step].Units : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    // Only real transitions reach the line: a steady LED costs no system calls.
    private void Write()
    {
        var on = _flashing || _steps[_step].On;
        if (_written == on) return;
        _written = on;
        _line?.Set(on);
    }

    // Timer callbacks already running may still take the lock afterwards: they find _disposed
    // and never touch a disposed timer (an exception there would end the process).
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _stepTimer.Dispose();
            _flashTimer.Dispose();
        }
    }
}
