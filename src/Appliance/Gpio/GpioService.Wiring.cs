using Appliance.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

// Opening, reloading and releasing the board's lines.
public sealed partial class GpioService
{
    private void Configure(bool force)
    {
        var g = _config.Current.Gpio;
        var debounce = TimeSpan.FromMilliseconds(g.ButtonDebounceMs);
        var longPress = TimeSpan.FromMilliseconds(g.ButtonLongPressMs);
        lock (_gate)
        {
            PinMap? map = null;
            string? mapError = null;
            if (g.Enabled)
            {
                try { map = PinMapLoader.Load(g.Board, _config.Path); }
                catch (PinMapException e) { mapError = e.Message; }
            }
            // Same lines and all of them open: only the timings changed (or nothing for us).
            var keep = !force && _board is not null && map is not null && _board.Map.SameWiring(map) && _board.Warnings.Count == 0;
            if (keep)
            {
                _board!.Button?.Configure(debounce, longPress);
            }
            else
            {
                Detach();
                _board?.Dispose();
                _board = map is null ? null : GpioBoard.Open(map, _chips, _time, debounce, longPress, _log);
                Attach(g, map, mapError);
            }
        }
        ShowStatus();
        Report();
    }

    private void Attach(GpioSection g, PinMap? map, string? mapError)
    {
        const string fallback = "LEDs are logged, the button is pressed with press_button";
        if (!g.Enabled) (_wiring, _wiringDegraded) = ($"disabled (gpio.enabled = false): {fallback}", false);
        else if (mapError is not null) (_wiring, _wiringDegraded) = ($"board {g.Board}: pin map unusable: {mapError}", true);
        else if (_board!.Warnings.Count > 0) (_wiring, _wiringDegraded) = ($"board {g.Board}: {string.Join("; ", _board.Warnings)}; open: {_board.Summary}", true);
        else if (map!.Pins.Count == 0) (_wiring, _wiringDegraded) = ($"board {g.Board} has no GPIO pins: {fallback}", false);
        else (_wiring, _wiringDegraded) = ($"board {g.Board}: {_board.Summary}", false);

        if (mapError is not null) _log.LogWarning("GPIO not used: {Error}", mapError);
        foreach (var w in _board?.Warnings ?? []) _log.LogWarning("GPIO: {Warning}; {Fallback}", w, fallback);
        if (_board is not null) _log.LogInformation("GPIO board {Board} ({Source}): {Lines}", map!.Board, map.Source, _board.Summary);
        else if (!g.Enabled) _log.LogInformation("GPIO disabled: {Fallback}", fallback);

        _statusLed.Line = _board?.Led(PinRole.StatusLed);
        _recordingLed.Line = _board?.Led(PinRole.RecordingLed);
        _activityLed.Line = _board?.Led(PinRole.ActivityLed);
        if (_board?.Button is { } button) button.Pressed += OnPhysicalPress;
    }

    // Before the board's lines are released: no LED timer may write to them afterwards.
    private void Detach()
    {
        _statusLed.Line = null;
        _recordingLed.Line = null;
        _activityLed.Line = null;
        if (_board?.Button is { } button) button.Pressed -= OnPhysicalPress;
    }
}
