using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Config;
using Appliance.Testing.MediaMtx.Contract;
using Appliance.Testing.MediaMtx.Relay;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// MediaMTX's core as far as the API sees it: the configuration, one runtime path per
/// configured (non-regexp) name, stream events from the relay or from tests, and the on-demand
/// state machine of path.go (start on demand, hold until ready or runOnDemandStartTimeout,
/// close after runOnDemandCloseAfter without readers). All state is behind one lock.
/// </summary>
internal sealed class ServerCore(StandInOptions options, MediaMtxVersion version, OpenApiDocument document)
{
    private readonly Lock _gate = new();
    private readonly ConfigStore _config = new(document);
    private readonly SortedDictionary<string, PathState> _paths = new(StringComparer.Ordinal);
    private readonly List<Task> _stopping = [];
    private Dictionary<string, RelayPath> _relayPaths = [];

    public MediaMtxVersion Version { get; } = version;

    /// <summary>What /v3/info reports as the version: the release, and the label when one is set.</summary>
    public string InfoVersion => options.Label is { Length: > 0 } label ? $"{Version} ({label})" : Version.ToString();

    public DateTimeOffset Started { get; private set; }

    public int RtspPort { get; private set; }

    /// <summary>Set while a relay runs; paths are pushed to it on every configuration change.</summary>
    public RtspRelay? Relay { get; set; }

    /// <summary>Fresh start: the start-up configuration, no streams (recordings stay: they are files).</summary>
    public void Reset(int apiPort, int rtspPort)
    {
        lock (_gate)
        {
            Started = DateTimeOffset.UtcNow;
            RtspPort = rtspPort;
            _config.Reset(options, apiPort, rtspPort);
            _paths.Clear();
            _relayPaths = [];
            Reconcile();
        }
    }

    public T Read<T>(Func<ConfigStore, T> read)
    {
        lock (_gate) return read(_config);
    }

    /// <summary>Applies an API change (ConfigException propagates) and brings runtime paths in line.</summary>
    public void Change(Action<ConfigStore> change)
    {
        lock (_gate)
        {
            change(_config);
            Reconcile();
        }
    }

    public JsonObject? RenderPath(string name)
    {
        lock (_gate) return _paths.TryGetValue(name, out var path) ? PathJson.Render(path, Version) : null;
    }

    public List<JsonObject> RenderPaths()
    {
        lock (_gate) return _paths.Values.Select(p => PathJson.Render(p, Version)).ToList();
    }

    // ---- streams: relay events and test simulation ----

    public void OnRelayEvent(RelayEvent e)
    {
        lock (_gate)
        {
            if (e.Path is null || !_paths.TryGetValue(e.Path, out var path)) return;
            switch (e.Event)
            {
                case "publisher_up": PublisherUp(path, e.Id ?? Guid.NewGuid().ToString(), [new TrackInfo("H264")]); break;
                case "publisher_down": if (path.Source?.Id == e.Id) PublisherDown(path); break;
                case "reader_added": ReaderAdded(path, e.Id ?? Guid.NewGuid().ToString()); break;
                case "reader_removed": ReaderRemoved(path, e.Id); break;
                case "demand": Demand(path); break;
                case "tracks": SetTracks(path, e.Raw["tracks"] as JsonArray); break;
                case "bytes":
                    if (path.Available) (path.BytesReceived, path.BytesSent) = (e.Long("received"), e.Long("sent"));
                    break;
            }
        }
    }

    public void Simulate(string name, Action<PathState> change)
    {
        lock (_gate) change(Existing(name));
    }

    public void PublisherUp(PathState path, string id, IEnumerable<TrackInfo> tracks)
    {
        path.ClearStream();
        path.Source = new PathEndpoint("rtspSession", id);
        path.AvailableTime = DateTimeOffset.UtcNow;
        path.Tracks.AddRange(tracks);
        if (path.HasOnDemandPublisher && path.Phase != OnDemandPhase.Initial)
        {
            Cancel(path.ReadyTimer);
            path.ReadyTimer = null;
            ScheduleClose(path);
        }
    }

    // As executeRemovePublisher/setNotAvailable: readers are dropped without rescheduling the close.
    public void PublisherDown(PathState path) => path.ClearStream();

    public void ReaderAdded(PathState path, string id)
    {
        path.Readers.Add(new PathEndpoint("rtspSession", id));
        if (path.HasOnDemandPublisher && path.Phase == OnDemandPhase.Closing)
        {
            path.Phase = OnDemandPhase.Ready;
            Cancel(path.CloseTimer);
            path.CloseTimer = null;
        }
    }

    public void ReaderRemoved(PathState path, string? id)
    {
        path.Readers.RemoveAll(r => r.Id == id);
        if (path.Readers.Count == 0 && path.HasOnDemandPublisher && path.Phase == OnDemandPhase.Ready) ScheduleClose(path);
    }

    private static void SetTracks(PathState path, JsonArray? tracks)
    {
        if (!path.Available || tracks is null) return;
        path.Tracks.Clear();
        foreach (var track in tracks.OfType<JsonObject>())
            path.Tracks.Add(new TrackInfo((string?)track["codec"] ?? "H264", (int?)track["width"], (int?)track["height"], ProfileName((string?)track["profile"]), (string?)track["level"]));
    }

    // GStreamer says "constrained-baseline"; MediaMTX writes profile names out ("Constrained Baseline").
    private static string? ProfileName(string? gstreamer) =>
        gstreamer is null ? null : CultureInfo.InvariantCulture.TextInfo.ToTitleCase(gstreamer.Replace('-', ' '));

    // ---- runOnDemand ----

    /// <summary>A reader asks for the path (RTSP DESCRIBE): starts runOnDemand if it is idle.
    /// Returns the command (null when nothing needed starting).</summary>
    public OnDemandCommand? Demand(string name)
    {
        lock (_gate)
        {
            var path = Existing(name);
            if (!path.HasOnDemandPublisher) throw new InvalidOperationException($"path '{name}' has no runOnDemand");
            Demand(path);
            return path.Command;
        }
    }

    public OnDemandStatus Status(string name)
    {
        lock (_gate)
        {
            var path = Existing(name);
            return new OnDemandStatus(path.Phase, path.Command?.ProcessId, path.Command?.Launches ?? 0, path.Command?.OutputTail ?? []);
        }
    }

    private void Demand(PathState path)
    {
        if (path.Available || !path.HasOnDemandPublisher || path.Phase != OnDemandPhase.Initial) return;
        var environment = new Dictionary<string, string>
        {
            ["MTX_PATH"] = path.Name,
            ["RTSP_PATH"] = path.Name, // deprecated name MediaMTX still sets
            ["RTSP_PORT"] = RtspPort.ToString(CultureInfo.InvariantCulture),
            ["MTX_QUERY"] = "",
        };
        path.Command = new OnDemandCommand(path.RunOnDemand, (bool?)path.Conf["runOnDemandRestart"] ?? false, environment, options);
        path.ReadyTimer = StartTimer(path, Duration(path, "runOnDemandStartTimeout"), p => StopOnDemand(p));
        path.Phase = OnDemandPhase.WaitingReady;
    }

    private void ScheduleClose(PathState path)
    {
        Cancel(path.CloseTimer);
        path.CloseTimer = StartTimer(path, Duration(path, "runOnDemandCloseAfter"), p => StopOnDemand(p));
        path.Phase = OnDemandPhase.Closing;
    }

    private void StopOnDemand(PathState path)
    {
        Cancel(path.ReadyTimer);
        Cancel(path.CloseTimer);
        path.ReadyTimer = path.CloseTimer = null;
        if (path.Command is { } command)
        {
            _stopping.RemoveAll(t => t.IsCompleted);
            _stopping.Add(command.StopAsync());
        }
        path.Command = null;
        path.Phase = OnDemandPhase.Initial;
    }

    private CancellationTokenSource StartTimer(PathState path, TimeSpan after, Action<PathState> fire)
    {
        var timer = new CancellationTokenSource();
        _ = Task.Delay(after, timer.Token).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            lock (_gate)
                if (!timer.IsCancellationRequested) fire(path); // cancelled under the lock after Delay ended
        }, TaskScheduler.Default);
        return timer;
    }

    private static void Cancel(CancellationTokenSource? timer) => timer?.Cancel();

    private static TimeSpan Duration(PathState path, string field) => GoDuration.Parse((string?)path.Conf[field] ?? "10s");

    // ---- recordings: only those of configured paths are listed ----

    public RecordingStore RecordingFiles { get; } = new();

    public List<(string Path, List<DateTimeOffset> Segments)> Recordings()
    {
        lock (_gate) return RecordingFiles.All().Where(r => _config.Contains(r.Path)).ToList();
    }

    // ---- lifecycle ----

    /// <summary>Like MediaMTX exiting: every command stopped (SIGINT, then SIGKILL), timers off.</summary>
    public async Task ShutdownAsync()
    {
        List<Task> stopping;
        lock (_gate)
        {
            foreach (var path in _paths.Values) StopOnDemand(path);
            _paths.Clear();
            stopping = [.. _stopping];
            _stopping.Clear();
        }
        await Task.WhenAll(stopping);
    }

    /// <summary>For process exit, when nothing can be awaited: SIGKILL to every command's group.</summary>
    public void KillAllNow()
    {
        lock (_gate)
            foreach (var path in _paths.Values)
                if (path.Command?.ProcessId is { } group) ProcessGroups.Signal(group, ProcessGroups.SigKill);
    }

    private PathState Existing(string name) =>
        _paths.TryGetValue(name, out var path) ? path : throw new InvalidOperationException($"path '{name}' is not configured");

    // A path whose configuration changed beyond the fields MediaMTX updates in place
    // (record*, rpiCamera*: pathConfCanBeUpdated) is closed and created again: its command is
    // stopped and its publisher kicked. Removed paths are closed the same way.
    private void Reconcile()
    {
        var wanted = _config.PathNames.Where(n => !PathNameRules.IsRegexp(n)).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _paths.Keys.Where(n => !wanted.Contains(n)).ToList())
        {
            ClosePath(_paths[gone]);
            _paths.Remove(gone);
        }
        foreach (var name in wanted)
        {
            var conf = _config.Path(name)!;
            if (!_paths.TryGetValue(name, out var path)) _paths[name] = new PathState(name, conf);
            else if (CanBeUpdated(path.Conf, conf)) path.Conf = conf;
            else
            {
                ClosePath(path);
                _paths[name] = new PathState(name, conf);
            }
        }
        SyncRelay();
    }

    private void ClosePath(PathState path)
    {
        StopOnDemand(path);
        if (path.Available) Relay?.Kick(path.Name);
    }

    private static bool CanBeUpdated(JsonObject before, JsonObject after)
    {
        static IEnumerable<KeyValuePair<string, JsonNode?>> Fixed(JsonObject conf) =>
            conf.Where(f => !f.Key.StartsWith("record", StringComparison.Ordinal) && !f.Key.StartsWith("rpiCamera", StringComparison.Ordinal));
        var left = Fixed(before).ToDictionary(f => f.Key, f => f.Value);
        var right = Fixed(after).ToDictionary(f => f.Key, f => f.Value);
        return left.Count == right.Count && left.All(f => right.TryGetValue(f.Key, out var v) && JsonNode.DeepEquals(f.Value, v));
    }

    private void SyncRelay()
    {
        var paths = _paths.Values.ToDictionary(p => p.Name, p => new RelayPath(p.HasOnDemandPublisher, Duration(p, "runOnDemandStartTimeout")), StringComparer.Ordinal);
        if (paths.Count == _relayPaths.Count && paths.All(p => _relayPaths.TryGetValue(p.Key, out var old) && old == p.Value)) return;
        _relayPaths = paths;
        Relay?.SetPaths(paths);
    }

    /// <summary>Pushes the current paths to a relay that was (re)started.</summary>
    public void ResendRelayPaths()
    {
        lock (_gate) Relay?.SetPaths(_relayPaths);
    }
}
