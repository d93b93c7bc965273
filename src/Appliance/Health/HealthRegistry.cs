using Appliance.Events;

namespace Appliance.Health;

public enum ComponentState { NotStarted, Starting, Running, Degraded, Failed, Stopped }

/// <summary>What one subsystem last said about itself.</summary>
public sealed record ComponentHealth(string Name, ComponentState State, string Detail, DateTimeOffset Since);

/// <summary>
/// The aggregated health changed: a component's state changed (a new detail with the same state is
/// not a change). Carries the whole picture, so a listener never has to ask the registry.
/// </summary>
/// <param name="Overall">healthy, degraded or unhealthy (see <see cref="HealthRegistry.Overall"/>).</param>
/// <param name="Reason">Which components are not running and why, or that all are.</param>
/// <param name="Cause">The report that caused this event.</param>
public sealed record HealthChanged(string Overall, IReadOnlyList<ComponentHealth> Components, string Reason, ComponentHealth Cause) : ApplianceEvent
{
    public ComponentHealth? Get(string name) => Components.FirstOrDefault(c => c.Name == name);
}

/// <summary>
/// The service's aggregated health: each subsystem reports its own state here, and get_status and
/// /health/ready read it; the LEDs, systemd STATUS= and system_health_update follow its
/// <see cref="HealthChanged"/> events. Overall: unhealthy when a component failed, degraded when
/// any component is not running, healthy otherwise.
/// </summary>
public sealed class HealthRegistry(EventHub events)
{
    private readonly Lock _gate = new();
    private volatile Dictionary<string, ComponentHealth> _components = new(StringComparer.Ordinal);

    public void Report(string name, ComponentState state, string detail = "")
    {
        var now = DateTimeOffset.UtcNow;
        lock (_gate)
        {
            var old = _components.GetValueOrDefault(name);
            if (old is not null && old.State == state && old.Detail == detail) return;
            var updated = new ComponentHealth(name, state, detail, old is not null && old.State == state ? old.Since : now);
            _components = new Dictionary<string, ComponentHealth>(_components, StringComparer.Ordinal) { [name] = updated };
            if (old?.State == state) return; // same state, new words: get_status shows it, nobody is told
            // Published under the lock: listeners see the states in the order they were reported.
            var all = Snapshot();
            events.Publish(new HealthChanged(Overall(all), all, Reason(all), updated));
        }
    }

    public ComponentHealth? Get(string name) => _components.GetValueOrDefault(name);

    public IReadOnlyList<ComponentHealth> Snapshot() => [.. _components.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];

    public string Overall() => Overall(Snapshot());

    public static string Overall(IReadOnlyList<ComponentHealth> all) => Overall(all.Select(c => c.State));

    /// <summary>The one rule: unhealthy when any failed, degraded when any is not running, healthy otherwise.</summary>
    public static string Overall(IEnumerable<ComponentState> states)
    {
        var overall = "healthy";
        foreach (var state in states)
        {
            if (state == ComponentState.Failed) return "unhealthy";
            if (state != ComponentState.Running) overall = "degraded";
        }
        return overall;
    }

    /// <summary>"mediamtx_controller degraded: circuit open: ...; storage failed: 96 % used", worst first.</summary>
    public static string Reason(IReadOnlyList<ComponentHealth> all)
    {
        var notRunning = all.Where(c => c.State != ComponentState.Running)
            .OrderByDescending(c => c.State == ComponentState.Failed).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => c.Detail.Length > 0 ? $"{c.Name} {StateName(c.State)}: {c.Detail}" : $"{c.Name} {StateName(c.State)}")
            .ToList();
        return notRunning.Count == 0 ? "all components running" : string.Join("; ", notRunning);
    }

    public static string StateName(ComponentState state) => state switch
    {
        ComponentState.NotStarted => "not_started",
        ComponentState.Starting => "starting",
        ComponentState.Running => "running",
        ComponentState.Degraded => "degraded",
        ComponentState.Failed => "failed",
        _ => "stopped",
    };
}
