using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>
/// The GPIO face: the status, recording and activity LEDs and the snapshot button of the board
/// selected by gpio.board. The LEDs follow the event hub (health, cameras, recordings, snapshots);
/// presses go through <see cref="ButtonPressQueue"/>; the lines are <see cref="GpioWiring"/>'s.
/// Without GPIO (gpio.enabled = false, a board without pins, a missing or busy chip) everything
/// still runs: the LED states are logged and shown in get_status ("gpio"), and press_button works.
/// gpio.* keys reload live: timings apply at once, a changed pin map reopens the lines.
/// </summary>
public sealed class GpioService : IDisposable
{
    public const string Component = "gpio";

    private readonly ConfigStore _config;
    private readonly HealthRegistry _health;
    private readonly IButtonActions _actions;
    private readonly ILogger _log;
    private readonly StatusWatcher _status;
    private readonly GpioLeds _leds;
    private readonly ButtonPressQueue _presses;
    private readonly GpioWiring _wiring;
    private readonly HashSet<string> _recordings = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private (StatusPattern, string)? _shownStatus;

    public GpioService(ConfigStore config, HealthRegistry health, CameraRegistry cameras, EventHub events, IButtonActions actions,
        IGpioChipOpener chips, ILogger<GpioService> log, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        _config = config;
        _health = health;
        _actions = actions;
        _log = log;
        _status = new StatusWatcher(events, health, cameras);
        _leds = new GpioLeds(time);
        _presses = new ButtonPressQueue(actions, events, log);
        _wiring = new GpioWiring(config, chips, time, log, _leds, _presses.PressPhysical);
        _subscription = events.Subscribe(nameof(GpioService), OnEvent);
    }

    public (StatusPattern Pattern, string Reason) Status => _status.Current;
    public bool StatusLedOn => _leds.Status.IsOn;
    public bool RecordingLedOn => _leds.Recording.IsOn;

    /// <summary>The LEDs and the button as they are now (get_gpio_state); reads only.</summary>
    public GpioState State()
    {
        var (pattern, _) = _status.Current;
        var recording = _leds.Recording.IsOn;
        var activity = _leds.Activity.IsOn; // its pattern is dark: lit only while a snapshot flash lasts
        return new GpioState(_wiring.AnyLineOpen,
            [
                new LedState("status", LedPatterns.Token(pattern), _leds.Status.IsOn),
                new LedState("recording", recording ? "steady" : "off", recording),
                new LedState("activity", activity ? "flash" : "off", activity),
            ],
            [new ButtonState(ButtonActions.SnapshotButton, _actions.Plan(ButtonActions.SnapshotButton, PressKind.Short).Action)]);
    }

    /// <summary>Presses a button as if by hand (press_button); completes when the action has run.</summary>
    /// <exception cref="ButtonBusyException">the queue of presses waiting to run is full.</exception>
    public Task<ButtonPressResult> PressAsync(string button, PressKind kind, CancellationToken ct) => _presses.PressAsync(button, kind, ct);

    /// <summary>The host's wiring: real button actions on SnapshotTaker/Recorder, and libgpiod.</summary>
    public static GpioService Create(ConfigStore config, HealthRegistry health, CameraRegistry cameras, EventHub events, SnapshotTaker snapshots,
        Recorder recorder, ILoggerFactory loggers)
    {
        var actions = new ButtonActions(config, cameras, snapshots, recorder, loggers.CreateLogger<ButtonActions>());
        return new GpioService(config, health, cameras, events, actions, new LibGpiodChipOpener(), loggers.CreateLogger<GpioService>());
    }

    // The recording LED and the activity flash follow the hub's recording and snapshot events.
    private void OnEvent(ApplianceEvent e)
    {
        switch (e)
        {
            case RecordingEvent r:
                bool any;
                lock (_gate)
                {
                    if (r.IsStarted) _recordings.Add(r.Session.SessionId);
                    else _recordings.Remove(r.Session.SessionId);
                    any = _recordings.Count > 0;
                }
                RecordingChanged(any);
                break;
            case Media.Snapshots.SnapshotTaken:
                SnapshotTaken();
                break;
        }
    }

    public void Start()
    {
        _status.Changed += ShowStatus;
        _config.Changed += OnConfigChanged;
        Configure(force: true);
        _presses.Start();
    }

    /// <summary>The recording LED: on while any recording runs.</summary>
    public void RecordingChanged(bool anyRecording)
    {
        if (anyRecording == _leds.Recording.IsOn) return;
        _leds.Recording.Set(anyRecording);
        _log.LogInformation("Recording LED {State}", anyRecording ? "on" : "off");
        Report();
    }

    /// <summary>The activity LED's short flash (gpio.activity_flash_ms) for a snapshot.</summary>
    public void SnapshotTaken()
    {
        _leds.Activity.Flash(TimeSpan.FromMilliseconds(_config.Current.Gpio.ActivityFlashMs));
        _log.LogDebug("Activity LED flash");
    }

    private void Configure(bool force)
    {
        _wiring.Configure(force);
        ShowStatus();
        Report();
    }

    private void ShowStatus()
    {
        var (pattern, reason) = _status.Current;
        _leds.Status.Show(LedPatterns.Steps(pattern), TimeSpan.FromSeconds(_config.Current.Gpio.LedBlinkInterval));
        lock (_gate)
        {
            if (_shownStatus == (pattern, reason)) return;
            _shownStatus = (pattern, reason);
        }
        _log.LogInformation("Status LED {Pattern}: {Reason}", LedPatterns.Name(pattern), reason);
        Report();
    }

    private void Report()
    {
        var (pattern, _) = _status.Current;
        var (wiring, degraded) = _wiring.Description;
        _health.Report(Component, degraded ? ComponentState.Degraded : ComponentState.Running,
            $"{wiring}; status LED {LedPatterns.Name(pattern)}, recording LED {(_leds.Recording.IsOn ? "on" : "off")}");
    }

    private void OnConfigChanged(ConfigChange change)
    {
        if (change.AppliedKeys.Any(k => k.StartsWith("gpio.", StringComparison.Ordinal))) Configure(force: false);
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _status.Changed -= ShowStatus;
        _config.Changed -= OnConfigChanged;
        _presses.Dispose();
        _wiring.Dispose();
        _leds.Dispose();
        _status.Dispose();
    }
}
