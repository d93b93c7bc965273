using Microsoft.Extensions.Logging;
using Tomlyn;

namespace Appliance.Configuration;

/// <summary>What a reload changed: keys applied live and keys that only take effect after a restart.</summary>
public sealed record ConfigChange(ApplianceConfig Previous, ApplianceConfig Current, IReadOnlyList<string> AppliedKeys, IReadOnlyList<string> RestartKeys);

/// <summary>
/// Holds the running configuration and reloads it when the file changes. An invalid edit is
/// rejected with its problems logged, and the running config is kept. Subsystems read
/// <see cref="Current"/> when they act, so live keys (log level, rate limits, retention, LEDs,
/// snapshot defaults, virtual cameras, ...) apply at once; keys bound at start (ports, paths, V4L2 discovery) are
/// reported as needing a restart.
/// </summary>
public sealed class ConfigStore : IDisposable
{
    /// <summary>The health component the host reports the config file's state under (failed while an edit is rejected).</summary>
    public const string HealthComponent = "config";

    // Keys (or key prefixes ending in '.' or '_') whose new values subsystems pick up without a restart.
    private static readonly string[] LiveKeys =
    [
        "logging.level", "security.rate_limit_", "security.auth_failures_per_minute", "security.jwt_expiry_hours", "security.max_token_lifetime",
        "security.session_lifetime", "security.max_sessions", "mediamtx.media_token_lifetime",
        "server.max_batch", "server.auth_timeout", "server.send_timeout", "server.max_connections_per_address", "server.limit_loopback_per_address",
        "storage.warn_percent", "storage.block_percent", "storage.retention_", "storage.max_", "storage.min_free_mb", "storage.cleanup_interval",
        "gpio.", "snapshots.format", "snapshots.quality", "snapshots.max_", "recording.format", "recording.segment_duration",
        "recording.max_duration", "recording.progress_interval", "recording.fsync_interval", "recording.restart_on_failure", "ffmpeg.max_concurrent", "ffmpeg.snapshot_", "ffmpeg.recording_",
        "ffmpeg.process_", "ffmpeg.stall_timeout", "resources.", "mediamtx.request_timeout", "mediamtx.stream_status_interval", "mediamtx.health_check_interval", "mediamtx.anonymous_read", "server.public_host",
        "camera.virtual", // CameraDiscovery adds/changes/removes the test-pattern cameras like a hot-plug
    ];

    private readonly ILogger _log;
    private readonly Func<ConfigLoadResult> _reload;
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;
    private volatile ApplianceConfig _current;
    private readonly List<string> _pendingRestart = [];
    private readonly Lock _gate = new();

    public ConfigStore(ApplianceConfig initial, string? path, ILogger log, Func<ConfigLoadResult>? reload = null)
    {
        _current = initial;
        Path = path;
        _log = log;
        _reload = reload ?? (() => ConfigLoader.LoadFile(path!));
    }

    public string? Path { get; }
    public ApplianceConfig Current => _current;

    /// <summary>Keys changed in the file since start that need a restart to take effect.</summary>
    public IReadOnlyList<string> PendingRestart { get { lock (_gate) return [.. _pendingRestart]; } }

    /// <summary>Raised after a valid reload changed something (on a thread-pool thread).</summary>
    public event Action<ConfigChange>? Changed;

    /// <summary>Raised when an edit was rejected, with the problems.</summary>
    public event Action<IReadOnlyList<ConfigProblem>>? Rejected;

    /// <summary>Raised after every reload that found a valid file, changed or not (an edit that was
    /// rejected and then reverted to the running config is accepted again, with nothing changed).</summary>
    public event Action? Accepted;

    /// <summary>Reports the file's state to <paramref name="health"/> as <see cref="HealthComponent"/>: running, or
    /// failed while the last edit is rejected (the running config is kept, but the file on disk would not
    /// start the service). Any valid reload, even one that changes nothing, clears it.</summary>
    public void ReportHealth(Health.HealthRegistry health)
    {
        var source = Path ?? "defaults";
        health.Report(HealthComponent, Health.ComponentState.Running, source);
        Rejected += problems => health.Report(HealthComponent, Health.ComponentState.Failed,
            $"edit rejected, running the previous config: {(problems.Count > 0 ? problems[0].ToString() : "invalid")}" + (problems.Count > 1 ? $" (+{problems.Count - 1} more)" : ""));
        Accepted += () => health.Report(HealthComponent, Health.ComponentState.Running, source);
    }

    public void Watch()
    {
        if (Path is null) return;
        var full = System.IO.Path.GetFullPath(Path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        // Watch the directory, not the file: editors and config management replace files by rename.
        _watcher = new FileSystemWatcher(dir, System.IO.Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        FileSystemEventHandler onChange = (_, _) => _debounce.Change(300, Timeout.Infinite);
        _watcher.Changed += onChange;
        _watcher.Created += onChange;
        _watcher.Renamed += (_, _) => _debounce.Change(300, Timeout.Infinite);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Re-reads the file; returns the change, or null when it was rejected or nothing changed.</summary>
    public ConfigChange? Reload()
    {
        ConfigLoadResult result;
        try
        {
            result = _reload();
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Config reload failed; keeping the running configuration");
            return null;
        }
        if (!result.IsValid)
        {
            _log.LogError("Config edit rejected, keeping the running configuration:\n  {Problems}",
                string.Join("\n  ", result.Problems));
            Rejected?.Invoke(result.Problems);
            return null;
        }

        ConfigChange? change = null;
        lock (_gate)
        {
            var previous = _current;
            var changed = Diff(previous, result.Config!);
            if (changed.Count > 0)
            {
                var applied = changed.Where(IsLive).ToList();
                var restart = changed.Where(k => !IsLive(k)).ToList();
                foreach (var k in restart) if (!_pendingRestart.Contains(k)) _pendingRestart.Add(k);
                _current = result.Config!;
                change = new ConfigChange(previous, _current, applied, restart);
            }
        }
        Accepted?.Invoke();
        if (change is null) return null;
        if (change.AppliedKeys.Count > 0) _log.LogInformation("Config reloaded; applied: {Keys}", string.Join(", ", change.AppliedKeys));
        if (change.RestartKeys.Count > 0) _log.LogWarning("Config changed keys that need a restart to take effect: {Keys}", string.Join(", ", change.RestartKeys));
        Changed?.Invoke(change);
        return change;
    }

    public static bool IsLive(string key) =>
        LiveKeys.Any(k => k.EndsWith('.') || k.EndsWith('_') ? key.StartsWith(k, StringComparison.Ordinal) : key == k);

    /// <summary>Keys whose values differ, found by comparing the canonical TOML of both configs.</summary>
    public static List<string> Diff(ApplianceConfig a, ApplianceConfig b)
    {
        var left = Flatten(a);
        var right = Flatten(b);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in left) if (!right.TryGetValue(k, out var w) || w != v) keys.Add(k);
        foreach (var k in right.Keys) if (!left.ContainsKey(k)) keys.Add(k);
        // camera.virtual[0].fps -> report the array as a whole (camera.virtual)
        return keys.Select(k => k.Contains('[') ? k[..k.IndexOf('[')] : k).Distinct().ToList();
    }

    private static Dictionary<string, string> Flatten(ApplianceConfig c) =>
        TomlKeyIndex.Parse(TomlSerializer.Serialize(c, ConfigTomlContext.Default), "config").Entries
            .Where(e => e.Kind != TomlValueKind.Table)
            .ToDictionary(e => e.Path, e => e.Value, StringComparer.Ordinal);

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce?.Dispose();
    }
}
