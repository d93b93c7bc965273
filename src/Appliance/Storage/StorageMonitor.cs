using System.Globalization;
using Appliance.Health;
using Microsoft.Extensions.Logging;

namespace Appliance.Storage;

/// <summary>
/// Reports the recordings file system to the health registry as component "storage": running,
/// degraded at storage.warn_percent (low space), failed at storage.block_percent (recordings are
/// refused: the status LED shows an error). Checked every <see cref="Period"/> and whenever a
/// recording's own storage check runs (every second while recording), so a filling disk shows at once.
/// </summary>
public sealed class StorageMonitor(StorageGuard guard, HealthRegistry health, ILogger<StorageMonitor> log) : IDisposable
{
    public const string Component = "storage";
    // Slow on purpose: while anything records, its own check runs every second; an idle box only needs
    // to notice a disk filled by something else, and a faster timer would wake it for nothing.
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(60);

    private Timer? _timer;

    public void Start() => _timer = new Timer(_ => Check(), null, TimeSpan.Zero, Period);

    /// <summary>Checks now and reports; returns the state.</summary>
    public StorageState? Check()
    {
        try
        {
            var state = guard.Check();
            Observe(state);
            return state;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            health.Report(Component, ComponentState.Degraded, $"cannot read the recordings file system: {ex.Message}");
            return null;
        }
    }

    public void Observe(StorageState s)
    {
        var free = string.Create(CultureInfo.InvariantCulture, $"{s.Disk.Available / 1e9:0.0} GB free of {s.Disk.Total / 1e9:0.0} GB");
        var used = StorageGuard.Percent(s);
        var (state, detail) = s.Level switch
        {
            StorageLevel.Critical => (ComponentState.Failed, $"critical: {used} % used, recordings refused at {s.BlockPercent} % ({free})"),
            StorageLevel.Low => (ComponentState.Degraded, $"low space: {used} % used, warning at {s.WarnPercent} % ({free})"),
            _ => (ComponentState.Running, $"{used} % used ({free})"),
        };
        var before = health.Get(Component)?.State;
        health.Report(Component, state, detail);
        if (before != state && state != ComponentState.Running) log.LogWarning("Storage {Detail}", detail);
    }

    public void Dispose() => _timer?.Dispose();
}
