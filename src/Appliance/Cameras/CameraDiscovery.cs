using System.Diagnostics;
using Appliance.Cameras.Hotplug;
using Appliance.Cameras.Virtual;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Microsoft.Extensions.Logging;

namespace Appliance.Cameras;

/// <summary>
/// Keeps the registry in step with the machine: virtual cameras from config (at start and on every
/// reload that changes <c>[[camera.virtual]]</c>), then /dev/video* nodes (scanned at start and again
/// whenever the hot-plug watcher sees a change). Scans run one at a time on a background thread,
/// never on a request thread.
/// </summary>
public sealed class CameraDiscovery : IDisposable
{
    private readonly ConfigStore _config;
    private readonly CameraRegistry _registry;
    private readonly ICameraProbe _probe;
    private readonly HealthRegistry _health;
    private readonly ILogger _log;
    private readonly string _devDirectory;
    private readonly SemaphoreSlim _scanGate = new(1, 1);
    private readonly Dictionary<string, (DateTime, DateTime)> _nodeStamps = new(StringComparer.Ordinal);
    private readonly Lock _virtualGate = new();
    private DeviceNodeWatcher? _watcher;
    private int _pendingRescan;

    public CameraDiscovery(ConfigStore config, CameraRegistry registry, ICameraProbe probe, HealthRegistry health, EventHub events,
        ILogger<CameraDiscovery> log, string devDirectory = "/dev")
    {
        _config = config;
        _registry = registry;
        _probe = probe;
        _health = health;
        _log = log;
        _devDirectory = devDirectory;
        events.On<CameraChange>(nameof(CameraDiscovery), _ => ReportHealth());
        // [[camera.virtual]] is live: an edit adds, changes or removes test-pattern cameras like a hot-plug.
        config.Changed += change =>
        {
            if (change.AppliedKeys.Contains(VirtualCameras.ConfigKey)) ApplyVirtualCameras(change.Current);
        };
    }

    /// <summary>Duration of the last full scan (for get_status and benchmarks).</summary>
    public TimeSpan LastScanDuration { get; private set; }

    /// <summary>Completes after the first scan, so the API never starts with an empty camera list by accident.</summary>
    public async Task StartAsync(CancellationToken cancellation = default)
    {
        var config = _config.Current;
        _health.Report(HealthComponents.Cameras, ComponentState.Starting, "scanning");
        ApplyVirtualCameras(config);

        if (config.Camera.DiscoveryEnabled)
        {
            await Task.Run(() => ScanAsync(cancellation), cancellation);
            if (Directory.Exists(_devDirectory))
            {
                _watcher = new DeviceNodeWatcher(_devDirectory, TimeSpan.FromMilliseconds(config.Camera.HotplugDebounceMs),
                    TimeSpan.FromSeconds(config.Camera.PollInterval), RequestRescan, _log);
                _watcher.Start();
            }
        }
        ReportHealth();
    }

    /// <summary>Makes the registry's virtual cameras match <paramref name="config"/>: a new entry appears
    /// as a hot-plugged camera, a changed one is replaced (its MediaMTX path is patched), a removed one is
    /// DISCONNECTED as if unplugged (its path is deleted, a recording on it ends as camera_lost).</summary>
    public void ApplyVirtualCameras(ApplianceConfig config)
    {
        lock (_virtualGate) // two quick reloads apply in order, never interleaved
        {
            var wanted = VirtualCameras.FromConfig(config, VirtualCameras.ExecutableExists(config.Ffmpeg.Path)).ToList();
            foreach (var camera in wanted)
            {
                var known = _registry.Find(camera.Device);
                if (camera.Status == CameraStatus.Error)
                    _log.LogWarning("Virtual camera {Device} is unusable: {Error}", camera.Device, camera.Error);
                else if (known is null || !known.IsConnected)
                    _log.LogInformation("Camera connected: {Device} \"{Name}\" {Resolution}@{Fps} (test pattern {Pattern})", camera.Device, camera.Name, camera.Resolution, camera.Fps, camera.TestPattern);
                _registry.Set(camera);
            }
            foreach (var gone in _registry.All.Where(c => c.Source == CameraSource.Virtual && c.Status != CameraStatus.Disconnected && wanted.All(w => w.Device != c.Device)))
            {
                _log.LogInformation("Camera disconnected: {Device} \"{Name}\" (removed from [[camera.virtual]])", gone.Device, gone.Name);
                _registry.MarkDisconnected(gone.Device);
            }
        }
    }

    /// <summary>Asks for a rescan; concurrent requests collapse into one.</summary>
    public void RequestRescan()
    {
        if (Interlocked.Exchange(ref _pendingRescan, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try { await ScanAsync(CancellationToken.None); }
            catch (Exception ex) { _log.LogError(ex, "Camera rescan failed"); }
        });
    }

    public async Task ScanAsync(CancellationToken cancellation)
    {
        await _scanGate.WaitAsync(cancellation);
        try
        {
            Interlocked.Exchange(ref _pendingRescan, 0);
            var started = Stopwatch.GetTimestamp();
            var config = _config.Current.Camera;
            var byId = ReadByIdLinks();
            var present = new HashSet<string>(StringComparer.Ordinal);
            for (var n = config.DeviceRange[0]; n <= config.DeviceRange[1]; n++)
            {
                var device = CameraId.Node(_devDirectory, n).Device;
                var stamp = NodeStamp(device);
                if (stamp is null) continue;
                present.Add(device);
                var known = _registry.Find(device);
                // Unchanged node (same inode times) that we already know: nothing to ask the kernel.
                if (known is { Status: not CameraStatus.Disconnected } && _nodeStamps.TryGetValue(device, out var seen) && seen == stamp) continue;
                _nodeStamps[device] = stamp.Value;
                var camera = _probe.Probe(device, config, byId.GetValueOrDefault(device));
                if (camera is null)
                {
                    if (known is not null) _registry.MarkDisconnected(device);
                    continue;
                }
                var before = _registry.FindByIdentity(camera.Identity);
                if (before is not null && before.Device != device)
                    _log.LogInformation("Camera {Name} ({Identity}) is back, now at {Device} (was {Old})", camera.Name, camera.Identity, device, before.Device);
                if (camera.Status == CameraStatus.Error)
                    _log.LogWarning("Camera at {Device} is unusable: {Error}", device, camera.Error);
                else if (known is null || !known.IsConnected)
                    _log.LogInformation("Camera connected: {Device} \"{Name}\" {Resolution}@{Fps} {Format}", device, camera.Name, camera.Resolution, camera.Fps, camera.InputFormat);
                _registry.Set(camera);
            }
            foreach (var gone in _registry.All.Where(c => c.Source == CameraSource.V4l2 && c.Status != CameraStatus.Disconnected && !present.Contains(c.Device)))
            {
                _log.LogInformation("Camera disconnected: {Device} \"{Name}\"", gone.Device, gone.Name);
                _nodeStamps.Remove(gone.Device);
                _registry.MarkDisconnected(gone.Device);
            }
            LastScanDuration = Stopwatch.GetElapsedTime(started);
        }
        finally
        {
            _scanGate.Release();
        }
    }

    // A node re-created by a re-plug has new inode times even when it gets the same number.
    private static (DateTime, DateTime)? NodeStamp(string path)
    {
        if (!File.Exists(path)) return null;
        var info = new FileInfo(path);
        return (info.LastWriteTimeUtc, info.CreationTimeUtc);
    }

    /// <summary>/dev/v4l/by-id links (stable names such as usb-Logitech_C920_1234-video-index0) by the node they point to.</summary>
    private Dictionary<string, string> ReadByIdLinks()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var dir = Path.Combine(_devDirectory, "v4l", "by-id");
        if (!Directory.Exists(dir)) return result;
        foreach (var link in Directory.EnumerateFileSystemEntries(dir))
        {
            try
            {
                var target = new FileInfo(link).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (target is not null) result.TryAdd(target, Path.GetFileName(link));
            }
            catch (IOException) { }
        }
        return result;
    }

    private void ReportHealth()
    {
        var all = _registry.All;
        var connected = all.Count(c => c.IsConnected);
        var mode = _watcher?.Mode ?? (_config.Current.Camera.DiscoveryEnabled ? "no /dev" : "discovery off");
        var detail = $"{connected} of {all.Count} camera(s) connected; hot-plug: {mode}";
        // A camera in ERROR (cannot be opened, busy, no usable mode) needs a technician: degraded, with the reason.
        var errors = all.Where(c => c.Status == CameraStatus.Error).Select(c => $"{c.Device}: {c.Error ?? "error"}").ToList();
        if (errors.Count > 0)
            _health.Report(HealthComponents.Cameras, ComponentState.Degraded, $"camera error ({string.Join("; ", errors)}); {detail}");
        else
            _health.Report(HealthComponents.Cameras, connected > 0 ? ComponentState.Running : ComponentState.Degraded,
                connected > 0 ? detail : "no camera connected; " + detail);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _scanGate.Dispose();
    }
}
