using Microsoft.Extensions.Logging;

namespace Appliance.Cameras.Hotplug;

/// <summary>
/// Tells discovery when /dev/video* nodes come or go. The kernel creates and removes the nodes
/// in devtmpfs as cameras are plugged, so inotify on /dev (FileSystemWatcher) sees it within
/// milliseconds, with or without udev. Bursts (a UVC camera brings two nodes, udev then fixes
/// permissions) are debounced into one rescan. Where inotify is unavailable (no watches left,
/// odd file systems) it falls back to polling the directory.
/// </summary>
public sealed class DeviceNodeWatcher : IDisposable
{
    private readonly string _directory;
    private readonly TimeSpan _debounce;
    private readonly TimeSpan _pollInterval;
    private readonly Action _onChange;
    private readonly ILogger _log;
    private readonly Timer _debounceTimer;
    private FileSystemWatcher? _watcher;
    private Timer? _poll;
    private string _lastListing = "";

    public DeviceNodeWatcher(string directory, TimeSpan debounce, TimeSpan pollInterval, Action onChange, ILogger log)
    {
        _directory = directory;
        _debounce = debounce;
        _pollInterval = pollInterval;
        _onChange = onChange;
        _log = log;
        _debounceTimer = new Timer(_ => _onChange(), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>"inotify" or "polling": how changes are noticed.</summary>
    public string Mode { get; private set; } = "stopped";

    public void Start()
    {
        _lastListing = Listing();
        try
        {
            _watcher = new FileSystemWatcher(_directory, "video*") { NotifyFilter = NotifyFilters.FileName };
            _watcher.Created += (_, _) => Poke();
            _watcher.Deleted += (_, _) => Poke();
            _watcher.Renamed += (_, _) => Poke();
            _watcher.Error += (_, e) =>
            {
                // A full inotify queue lost events but the watch itself is fine: compare the listing now.
                // Anything else ends the watch: poll from here on.
                if (e.GetException() is InternalBufferOverflowException)
                {
                    _log.LogWarning("inotify on {Dir} overflowed; rescanning", _directory);
                    PollOnce();
                    return;
                }
                _log.LogWarning(e.GetException(), "inotify on {Dir} failed; falling back to polling", _directory);
                StartPolling();
            };
            _watcher.EnableRaisingEvents = true;
            // No timer with inotify: an idle appliance wakes for nothing (a lost event is the overflow above).
            Mode = "inotify";
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
        {
            _log.LogWarning("inotify on {Dir} unavailable ({Reason}); polling every {Interval} ms", _directory, ex.Message, _pollInterval.TotalMilliseconds);
            StartPolling();
        }
    }

    private void StartPolling()
    {
        _watcher?.Dispose();
        _watcher = null;
        Mode = "polling";
        _poll?.Dispose();
        _poll = new Timer(_ => PollOnce(), null, _pollInterval, _pollInterval);
    }

    private void PollOnce()
    {
        var listing = Listing();
        if (listing == _lastListing) return;
        _lastListing = listing;
        Poke();
    }

    private void Poke() => _debounceTimer.Change(_debounce, Timeout.InfiniteTimeSpan);

    private string Listing()
    {
        try
        {
            var names = Directory.GetFiles(_directory, "video*");
            Array.Sort(names, StringComparer.Ordinal);
            return string.Join('\n', names);
        }
        catch (IOException) { return ""; }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _poll?.Dispose();
        _debounceTimer.Dispose();
        Mode = "stopped";
    }
}
