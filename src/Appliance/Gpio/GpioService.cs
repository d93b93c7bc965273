using System.Threading.Channels;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>More presses are waiting than the button queue holds.</summary>
public sealed class ButtonBusyException(string message) : Exception(message);

/// <summary>A button press was decided, before its action runs (published on the event hub).</summary>
/// <param name="Origin">"gpio" (the physical button) or "press_button".</param>
public sealed record ButtonPressed(ButtonPlan Plan, string Origin) : ApplianceEvent;

/// <summary>
/// The GPIO subsystem: the status, recording and activity LEDs and the snapshot button of the
/// board selected by gpio.board. The LEDs follow the event hub (health, cameras, recordings,
/// snapshots); presses, physical or from press_button, go through one queue and run one at a time
/// off the line's event thread, so neither the RPC server nor libgpiod ever waits on FFmpeg.
/// Without GPIO (gpio.enabled = false, a board without pins, a missing or busy chip) everything
/// still runs: the LED states are logged and shown in get_status ("gpio"), and press_button works.
/// gpio.* keys reload live: timings apply at once, a changed pin map reopens the lines.
/// </summary>
public sealed partial class GpioService : IDisposable
{
    public const string Component = "gpio";

    private readonly ConfigStore _config;
    private readonly HealthRegistry _health;
    private readonly EventHub _events;
    private readonly IButtonActions _actions;
    private readonly IGpioChipOpener _chips;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly StatusWatcher _status;
    private readonly Led _statusLed;
    private readonly Led _recordingLed;
    private readonly Led _activityLed;
    private readonly HashSet<string> _recordings = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private readonly Channel<PendingPress> _presses = Channel.CreateBounded<PendingPress>(new BoundedChannelOptions(4) { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private GpioBoard? _board;
    private string _wiring = "not started";
    private bool _wiringDegraded;
    private (StatusPattern, string)? _shownStatus;
    private Task? _worker;

    public GpioService(ConfigStore config, HealthRegistry health, CameraRegistry cameras, EventHub events, IButtonActions actions,
        IGpioChipOpener chips, ILogger<GpioService> log, TimeProvider? time = null)
    {
        _config = config;
        _health = health;
        _events = events;
        _actions = actions;
        _chips = chips;
        _log = log;
        _time = time ?? TimeProvider.System;
        _status = new StatusWatcher(events, health, cameras);
        _statusLed = new Led(_time);
        _recordingLed = new Led(_time);
        _activityLed = new Led(_time);
        _subscription = events.Subscribe(nameof(GpioService), OnEvent);
    }

    public (StatusPattern Pattern, string Reason) Status => _status.Current;
    public bool StatusLedOn => _statusLed.IsOn;
    public bool RecordingLedOn => _recordingLed.IsOn;

    /// <summary>The LEDs and the button as they are now (get_gpio_state); reads only.</summary>
    public GpioState State()
    {
        bool available;
        lock (_gate) available = _board?.AnyLineOpen == true;
        var (pattern, _) = _status.Current;
        var recording = _recordingLed.IsOn;
        var activity = _activityLed.IsOn; // its pattern is dark: lit only while a snapshot flash lasts
        return new GpioState(available,
            [
                new LedState("status", LedPatterns.Token(pattern), _statusLed.IsOn),
                new LedState("recording", recording ? "steady" : "off", recording),
                new LedState("activity", activity ? "flash" : "off", activity),
            ],
            [new ButtonState(ButtonActions.SnapshotButton, _actions.Plan(ButtonActions.SnapshotButton, PressKind.Short).Action)]);
    }

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
                    if (r.Status == "STARTED") _recordings.Add(r.Session.SessionId);
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
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>The recording LED: on while any recording runs.</summary>
    public void RecordingChanged(bool anyRecording)
    {
        if (anyRecording == _recordingLed.IsOn) return;
        _recordingLed.Set(anyRecording);
        _log.LogInformation("Recording LED {State}", anyRecording ? "on" : "off");
        Report();
    }

    /// <summary>The activity LED's short flash (gpio.activity_flash_ms) for a snapshot.</summary>
    public void SnapshotTaken()
    {
        _activityLed.Flash(TimeSpan.FromMilliseconds(_config.Current.Gpio.ActivityFlashMs));
        _log.LogDebug("Activity LED flash");
    }

    /// <summary>Shows update pending / confirmed on the status LED directly. The OTA side itself publishes
    /// <see cref="Update.UpdateIndicatorChanged"/> on the hub instead, which the status watcher reads.</summary>
    public void SetUpdate(UpdateIndicator update) => _status.SetUpdate(update);

    private void ShowStatus()
    {
        var (pattern, reason) = _status.Current;
        _statusLed.Show(LedPatterns.Steps(pattern), TimeSpan.FromSeconds(_config.Current.Gpio.LedBlinkInterval));
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
        string wiring;
        bool degraded;
        lock (_gate) (wiring, degraded) = (_wiring, _wiringDegraded);
        _health.Report(Component, degraded ? ComponentState.Degraded : ComponentState.Running,
            $"{wiring}; status LED {LedPatterns.Name(pattern)}, recording LED {(_recordingLed.IsOn ? "on" : "off")}");
    }

    private void OnConfigChanged(ConfigChange change)
    {
        if (change.AppliedKeys.Any(k => k.StartsWith("gpio.", StringComparison.Ordinal))) Configure(force: false);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _subscription.Dispose();
        _status.Changed -= ShowStatus;
        _config.Changed -= OnConfigChanged;
        _presses.Writer.TryComplete();
        try { _worker?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        while (_presses.Reader.TryRead(out var left)) left.Done.TrySetCanceled();
        lock (_gate)
        {
            Detach();
            _board?.Dispose();
            _board = null;
        }
        _statusLed.Dispose();
        _recordingLed.Dispose();
        _activityLed.Dispose();
        _status.Dispose();
    }
}
