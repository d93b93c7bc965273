using Appliance.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>
/// The board's lines as gpio.* says: opened at start, reopened when the pin map changes (a timing
/// change only re-times the button), released at exit. It connects the open lines to the LEDs and
/// the button to the press queue, and says in one line what is wired (get_status "gpio").
/// </summary>
public sealed class GpioWiring(ConfigStore config, IGpioChipOpener chips, TimeProvider time, ILogger log,
    GpioLeds leds, Action<PressKind> pressed) : IDisposable
{
    private const string Fallback = "LEDs are logged, the button is pressed with press_button";

    private readonly Lock _gate = new();
    private GpioBoard? _board;
    private string _text = "not started";
    private bool _degraded;

    /// <summary>What is wired, and whether that is less than the pin map asked for.</summary>
    public (string Text, bool Degraded) Description { get { lock (_gate) return (_text, _degraded); } }

    /// <summary>At least one line (LED or button) is open and driven.</summary>
    public bool AnyLineOpen { get { lock (_gate) return _board?.AnyLineOpen == true; } }

    /// <summary>Opens the lines (force) or follows a reload: same wiring → only new timings; else reopen.</summary>
    public void Configure(bool force)
    {
        var g = config.Current.Gpio;
        var debounce = TimeSpan.FromMilliseconds(g.ButtonDebounceMs);
        var longPress = TimeSpan.FromMilliseconds(g.ButtonLongPressMs);
        lock (_gate)
        {
            PinMap? map = null;
            string? mapError = null;
            if (g.Enabled)
            {
                try { map = PinMapLoader.Load(g.Board, config.Path); }
                catch (PinMapException e) { mapError = e.Message; }
            }
            // Same lines and all of them open: only the timings changed (or nothing for us).
            var keep = !force && _board is not null && map is not null && _board.Map.SameWiring(map) && _board.Warnings.Count == 0;
            if (keep)
            {
                _board!.Button?.Configure(debounce, longPress);
                return;
            }
            Detach();
            _board?.Dispose();
            _board = map is null ? null : GpioBoard.Open(map, chips, time, debounce, longPress, log);
            Attach(g, map, mapError);
        }
    }

    private void Attach(GpioSection g, PinMap? map, string? mapError)
    {
        if (!g.Enabled) (_text, _degraded) = ($"disabled (gpio.enabled = false): {Fallback}", false);
        else if (mapError is not null) (_text, _degraded) = ($"board {g.Board}: pin map unusable: {mapError}", true);
        else if (_board!.Warnings.Count > 0) (_text, _degraded) = ($"board {g.Board}: {string.Join("; ", _board.Warnings)}; open: {_board.Summary}", true);
        else if (map!.Pins.Count == 0) (_text, _degraded) = ($"board {g.Board} has no GPIO pins: {Fallback}", false);
        else (_text, _degraded) = ($"board {g.Board}: {_board.Summary}", false);

        if (mapError is not null) log.LogWarning("GPIO not used: {Error}", mapError);
        foreach (var w in _board?.Warnings ?? []) log.LogWarning("GPIO: {Warning}; {Fallback}", w, Fallback);
        if (_board is not null) log.LogInformation("GPIO board {Board} ({Source}): {Lines}", map!.Board, map.Source, _board.Summary);
        else if (!g.Enabled) log.LogInformation("GPIO disabled: {Fallback}", Fallback);

        leds.Status.Line = _board?.Led(PinRole.StatusLed);
        leds.Recording.Line = _board?.Led(PinRole.RecordingLed);
        leds.Activity.Line = _board?.Led(PinRole.ActivityLed);
        if (_board?.Button is { } button) button.Pressed += pressed;
    }

    // Before the board's lines are released: no LED timer may write to them afterwards.
    private void Detach()
    {
        leds.Status.Line = null;
        leds.Recording.Line = null;
        leds.Activity.Line = null;
        if (_board?.Button is { } button) button.Pressed -= pressed;
    }

    /// <summary>Releases every line (the LEDs go dark with them).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            Detach();
            _board?.Dispose();
            _board = null;
        }
    }
}

/// <summary>The board's three LEDs, each a <see cref="Led"/> that works with or without a line behind it.</summary>
public sealed class GpioLeds(TimeProvider time) : IDisposable
{
    public Led Status { get; } = new(time);
    public Led Recording { get; } = new(time);
    public Led Activity { get; } = new(time);

    public void Dispose()
    {
        Status.Dispose();
        Recording.Dispose();
        Activity.Dispose();
    }
}
