using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaMtx;
using Appliance.Update;

namespace Appliance.Gpio;

/// <summary>
/// Keeps <see cref="StatusInputs"/> current from the event hub alone: health changes (which carry
/// every component's state, including "config" when an edit was rejected and "storage" when the
/// disk is critical), camera changes and the OTA update indicator; nothing is polled.
/// <see cref="Changed"/> fires when the decided pattern or its reason changes; listeners read
/// <see cref="Current"/>, so a late invocation never shows a stale pattern.
/// </summary>
public sealed class StatusWatcher : IDisposable
{
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, bool> _connected = new(StringComparer.Ordinal);
    private IReadOnlyList<ComponentHealth> _components = [];
    private UpdateIndicator _update;
    private string? _updateReason;
    private (StatusPattern Pattern, string Reason) _current = (StatusPattern.Starting, "starting");

    public StatusWatcher(EventHub events, HealthRegistry health, CameraRegistry cameras)
    {
        // Every change from now on, and what is true already (the watcher may start after the first events went by).
        _subscription = events.Subscribe(nameof(StatusWatcher), OnEvent);
        lock (_gate)
        {
            _components = health.Snapshot();
            foreach (var c in cameras.All) _connected.TryAdd(c.Device, c.IsConnected);
        }
        Recompute();
    }

    public (StatusPattern Pattern, string Reason) Current { get { lock (_gate) return _current; } }

    public event Action? Changed;

    private void OnEvent(ApplianceEvent e)
    {
        switch (e)
        {
            case HealthChanged h when h.Cause.Name != GpioService.Component: // our own report never changes the decision
                lock (_gate) _components = h.Components;
                break;
            case CameraChange c:
                lock (_gate) _connected[c.Current.Device] = c.Current.IsConnected;
                break;
            case UpdateIndicatorChanged u: // the OTA side (Update/UpdateIndicatorState): installing, new slot pending, confirmed
                lock (_gate) (_update, _updateReason) = (u.Indicator, u.Reason);
                break;
            default:
                return;
        }
        Recompute();
    }

    private void Recompute()
    {
        lock (_gate)
        {
            var byName = _components.ToDictionary(c => c.Name, StringComparer.Ordinal);
            var server = byName.GetValueOrDefault(HealthComponents.ApiServer)?.State;
            var config = byName.GetValueOrDefault(ConfigStore.HealthComponent);
            var inputs = new StatusInputs(server == ComponentState.Running, server == ComponentState.Stopped,
                byName.GetValueOrDefault(MediaMtxHealthMonitor.Component)?.State,
                _connected.Values.Count(connected => connected),
                [.. _components.Where(c => c.State == ComponentState.Failed && c.Name is not GpioService.Component and not ConfigStore.HealthComponent).Select(c => c.Name)],
                config?.State == ComponentState.Failed ? config.Detail : null, _update, _updateReason);
            var next = StatusDecider.Decide(inputs);
            if (next == _current) return;
            _current = next;
        }
        Changed?.Invoke();
    }

    public void Dispose() => _subscription.Dispose();
}
