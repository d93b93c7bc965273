using System.Globalization;
using Appliance.Cameras;
using Appliance.Events;
using Appliance.Health;
using Appliance.Media.Recordings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>
/// Talks to systemd over NOTIFY_SOCKET: READY=1 once Kestrel has bound its listeners (the host
/// fires ApplicationStarted only after that), STATUS= lines saying what the service is doing,
/// WATCHDOG=1 at half of WATCHDOG_USEC while the service is alive, STOPPING=1 on shutdown.
/// STATUS= follows the event hub (health, cameras, recordings): it changes when they do, nothing is
/// polled. The package's SystemdLifetime only switches on when the parent process is systemd itself;
/// using its notifier directly keeps the protocol testable with any NOTIFY_SOCKET.
/// </summary>
public sealed class SystemdNotifications : IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _log;
    private readonly EventHub _events;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, bool> _cameras = new(StringComparer.Ordinal);
    private readonly HashSet<string> _recordings = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private string _overall;
    private string _reason;
    private string _lastStatus = "";
    private bool _ready;
    private Task? _loop;

    public SystemdNotifications(ISystemdNotifier notifier, EventHub events, HealthRegistry health, IHostApplicationLifetime lifetime,
        ILogger<SystemdNotifications> log)
    {
        _notifier = notifier;
        _lifetime = lifetime;
        _log = log;
        _events = events;
        var all = health.Snapshot();
        (_overall, _reason) = (HealthRegistry.Overall(all), HealthRegistry.Reason(all));
        _subscription = events.Subscribe(nameof(SystemdNotifications), OnEvent);
    }

    public bool Enabled => _notifier.IsEnabled;

    /// <summary>The STATUS= text now, e.g. "healthy: 1 camera(s), 0 recording(s); all components running".</summary>
    public string Describe()
    {
        lock (_gate)
        {
            var cameras = _cameras.Values.Count(c => c);
            return string.Create(CultureInfo.InvariantCulture, $"{_overall}: {cameras} camera(s), {_recordings.Count} recording(s); {_reason}");
        }
    }

    /// <summary>The interval systemd expects pings at, from WATCHDOG_USEC (and WATCHDOG_PID, when set, naming us).</summary>
    public static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) return null;
        return long.TryParse(usec, out var us) && us > 0 ? TimeSpan.FromMicroseconds(us) : null;
    }

    public void Start()
    {
        if (!_notifier.IsEnabled) return;
        _lifetime.ApplicationStarted.Register(() =>
        {
            var status = Describe();
            lock (_gate)
            {
                _ready = true;
                _lastStatus = status;
            }
            _notifier.Notify(new ServiceState("READY=1\nSTATUS=" + status));
            _loop = Task.Run(WatchdogAsync);
        });
        _lifetime.ApplicationStopping.Register(() =>
        {
            lock (_gate) _ready = false; // no STATUS= after STOPPING=1
            _stop.Cancel();
            _notifier.Notify(new ServiceState("STOPPING=1\nSTATUS=Stopping: finishing recordings, closing connections"));
        });
    }

    private void OnEvent(ApplianceEvent e)
    {
        lock (_gate)
        {
            switch (e)
            {
                case HealthChanged h: (_overall, _reason) = (h.Overall, h.Reason); break;
                case CameraChange c: _cameras[c.Current.Device] = c.Current.IsConnected; break;
                case RecordingEvent { IsStarted: true } r: _recordings.Add(r.Session.SessionId); break;
                case RecordingEvent r: _recordings.Remove(r.Session.SessionId); break;
                default: return;
            }
        }
        var status = Describe();
        lock (_gate)
        {
            if (!_ready || !_notifier.IsEnabled || status == _lastStatus) return;
            _lastStatus = status;
        }
        _notifier.Notify(new ServiceState("STATUS=" + status));
    }

    /// <summary>
    /// Whether the service is alive enough to deserve a watchdog ping: the event hub's dispatch loop,
    /// which every producer and consumer goes through, must not be stuck on one event for longer than
    /// <paramref name="limit"/>. (That this check runs at all shows the thread pool still runs work.)
    /// </summary>
    public static string? Unresponsive(EventHub events, TimeSpan limit) => events.DispatchStall switch
    {
        null => "the event loop has stopped",
        { } stall when stall > limit => $"the event loop has been stuck on one event for {stall.TotalSeconds:0.0} s",
        _ => null,
    };

    // Pings at half the watchdog interval while the service is responsive. A stuck event loop withholds
    // them, so systemd restarts the service WatchdogSec after the last ping.
    private async Task WatchdogAsync()
    {
        if (WatchdogInterval() is not { } interval) return;
        var period = TimeSpan.FromTicks(Math.Max(interval.Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks));
        using var timer = new PeriodicTimer(period);
        var withholding = false;
        try
        {
            do
            {
                if (Unresponsive(_events, period) is { } problem)
                {
                    if (!withholding) _log.LogCritical("Withholding the watchdog ping so systemd restarts the service: {Problem}", problem);
                    withholding = true;
                    continue;
                }
                if (withholding) _log.LogWarning("The event loop is responsive again: watchdog pings resume");
                withholding = false;
                _notifier.Notify(new ServiceState("WATCHDOG=1"));
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _stop.Cancel();
        _stop.Dispose();
    }
}
