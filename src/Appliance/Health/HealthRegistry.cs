using System.Collections.Concurrent;

namespace Appliance.Health;

public enum ComponentState { NotStarted, Starting, Running, Degraded, Failed, Stopped }

/// <summary>What one subsystem last said about itself.</summary>
public sealed record ComponentHealth(string Name, ComponentState State, string Detail, DateTimeOffset Since);

/// <summary>
/// The service's aggregated health: each subsystem reports its own state here, and get_status,
/// /health/ready and systemd STATUS= read it. Overall: unhealthy when a required component
/// failed, degraded when any component is not running, healthy otherwise.
/// </summary>
public sealed class HealthRegistry
{
    private readonly ConcurrentDictionary<string, ComponentHealth> _components = new(StringComparer.Ordinal);

    public event Action<ComponentHealth>? Changed;

    public void Report(string name, ComponentState state, string detail = "")
    {
        var now = DateTimeOffset.UtcNow;
        var updated = _components.AddOrUpdate(name,
            _ => new ComponentHealth(name, state, detail, now),
            (_, old) => old.State == state && old.Detail == detail ? old : new ComponentHealth(name, state, detail, old.State == state ? old.Since : now));
        Changed?.Invoke(updated);
    }

    public ComponentHealth? Get(string name) => _components.GetValueOrDefault(name);

    public IReadOnlyList<ComponentHealth> Snapshot() => [.. _components.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];

    public string Overall()
    {
        var all = Snapshot();
        if (all.Any(c => c.State == ComponentState.Failed)) return "unhealthy";
        if (all.Any(c => c.State != ComponentState.Running)) return "degraded";
        return "healthy";
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
