using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Health;
using Appliance.MediaMtx;

namespace Appliance.Gpio;

/// <summary>
/// Keeps <see cref="StatusInputs"/> current by listening to the subsystems' own events (health
/// reports, camera changes, config reloads and rejections); nothing is polled. <see cref="Changed"/>
/// fires when the decided pattern or its reason changes; listeners read <see cref="Current"/>, so a
/// late invocation never shows a stale pattern.
/// </summary>
public sealed class StatusWatcher : IDisposable
{
    private readonly HealthRegistry _health;
    private readonly CameraRegistry _cameras;
    private readonly ConfigStore _config;
    private readonly Lock _gate = new();
    private string? _configRejected;
    private UpdateIndicator _update;
    private (StatusPattern Pattern, string Reason) _current = (StatusPattern.Starting, "starting");

    public StatusWatcher(HealthRegistry health, CameraRegistry cameras, ConfigStore config)
    {
        _health = health;
        _cameras = cameras;
        _config = config;
        health.Changed += OnHealth;
        cameras.Changed += OnCamera;
        config.Rejected += OnRejected;
        config.Changed += OnAccepted;
        Recompute();
    }

    public (StatusPattern Pattern, string Reason) Current { get { lock (_gate) return _current; } }

    public event Action? Changed;

    public void SetUpdate(UpdateIndicator update)
    {
        lock (_gate) _update = update;
        Recompute();
    }

    private void OnHealth(ComponentHealth c)
    {
        if (c.Name != GpioService.Component) Recompute(); // our own report never changes the decision
    }

    private void OnCamera(CameraChange _) => Recompute();

    private void OnRejected(IReadOnlyList<ConfigProblem> problems)
    {
        lock (_gate) _configRejected = problems.Count > 0 ? problems[0].ToString() : "invalid";
        Recompute();
    }

    private void OnAccepted(ConfigChange _)
    {
        lock (_gate) _configRejected = null;
        Recompute();
    }

    private void Recompute()
    {
        lock (_gate)
        {
            var server = _health.Get("websocket_server")?.State;
            var inputs = new StatusInputs(server == ComponentState.Running, server == ComponentState.Stopped,
                _health.Get(MediaMtxHealthMonitor.Component)?.State,
                _cameras.All.Count(c => c.IsConnected),
                [.. _health.Snapshot().Where(c => c.State == ComponentState.Failed && c.Name != GpioService.Component).Select(c => c.Name)],
                _configRejected, _update);
            var next = StatusDecider.Decide(inputs);
            if (next == _current) return;
            _current = next;
        }
        Changed?.Invoke();
    }

    public void Dispose()
    {
        _health.Changed -= OnHealth;
        _cameras.Changed -= OnCamera;
        _config.Rejected -= OnRejected;
        _config.Changed -= OnAccepted;
    }
}
