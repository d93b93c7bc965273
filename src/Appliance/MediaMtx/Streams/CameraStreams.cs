using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Media;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Appliance.MediaMtx.Streams;

/// <summary>
/// The cameras' streams on MediaMTX: the URL the service's own readers use (<see cref="ReadUrl"/>;
/// clients get <see cref="StreamUrls"/>), whether a stream is live (<see cref="LivenessAsync"/>), and
/// the loop that keeps MediaMTX's paths matching the cameras and follows their status.
///
/// The loop runs a check at every mediamtx.health_check_interval: the <see cref="MediaMtxHealthMonitor"/>'s
/// question to MediaMTX, then a path reconcile (<see cref="PathReconciler"/>: MediaMTX keeps API-made
/// config in memory only, so after it restarts this re-creates every path), then one listing of the
/// paths; the monitor is told how it went. A failing check is retried by a Polly retry with the
/// monitor's backoff, through the client's circuit; while nothing listens on the API port, a connect
/// probe every two seconds (<see cref="ApiPortWatch"/>) cuts the backoff short when MediaMTX comes back. Camera changes wake the loop so a new camera's
/// path appears at once.
///
/// Between checks, while MediaMTX is healthy, the loop lists the paths every
/// mediamtx.stream_status_interval seconds and publishes a <see cref="StreamStatusChanged"/> for each
/// camera path whose readiness or number of readers changed: one poller for every listener, however
/// many clients follow the streams. When MediaMTX goes down its streams are published as not ready.
/// </summary>
public sealed class CameraStreams : ILiveStreams, IDisposable
{
    private readonly MediaMtxClient _client;
    private readonly PathReconciler _reconciler;
    private readonly MediaMtxHealthMonitor _health;
    private readonly CameraRegistry _cameras;
    private readonly ConfigStore _config;
    private readonly EventHub _events;
    private readonly ILogger _log;
    private readonly Dictionary<string, (bool Ready, int Readers)> _streams = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;
    private volatile bool _portRefused;

    public CameraStreams(MediaMtxClient client, PathReconciler reconciler, MediaMtxHealthMonitor health, CameraRegistry cameras,
        ConfigStore config, EventHub events, ILogger<CameraStreams> log)
    {
        _client = client;
        _reconciler = reconciler;
        _health = health;
        _cameras = cameras;
        _config = config;
        _events = events;
        _log = log;
        events.On<CameraChange>(nameof(CameraStreams), _ => Wake());
    }

    public bool MediaServerDown => _client.Circuit == CircuitState.Open;

    public string ReadUrl(Camera camera) => InternalRtspUrl.For(_config.Current, camera.StreamPath, _client.Credentials.InternalRead);

    public async Task<StreamLiveness> LivenessAsync(Camera camera, CancellationToken ct)
    {
        try
        {
            return (await _client.GetPathAsync(camera.StreamPath, ct))?.IsReady == true ? StreamLiveness.Ready : StreamLiveness.NotReady;
        }
        catch (MediaMtxException)
        {
            return StreamLiveness.ServerUnavailable;
        }
    }

    public void Start()
    {
        _health.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Runs a check and reconcile now instead of at the next interval.</summary>
    public void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
    }

    private async Task LoopAsync()
    {
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = new PredicateBuilder().Handle<MediaMtxException>(e => e.Kind is MediaMtxErrorKind.Unavailable or MediaMtxErrorKind.Unauthorized),
            // The wait happens here rather than in Polly's own delay so that it can end early: when the
            // API port, refusing before, accepts again (ApiPortWatch), or when a camera change wakes the loop.
            DelayGenerator = async args =>
            {
                var backoff = _health.Backoff(args.AttemptNumber);
                var failure = args.Outcome.Exception;
                if (failure?.InnerException is not BrokenCircuitException) _portRefused = ApiPortWatch.IsRefused(failure);
                _health.CheckFailed(failure, backoff);
                MarkStreamsDown();
                await ApiPortWatch.WaitAsync(backoff, ApiPortAcceptsAsync, _wake, args.Context.CancellationToken);
                return TimeSpan.Zero;
            },
        }).Build();

        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await retry.ExecuteAsync(CheckOnceAsync, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                // BadRequest from a reconcile step, say: not an outage, but worth a loud line.
                _log.LogError(ex, "MediaMTX reconcile failed");
            }
            if (!await FollowStreamsUntilAsync(DateTimeOffset.UtcNow + _health.NextCheckIn)) break;
        }
    }

    // Probed only while the last real failure was a refused connection (nothing listening): a port that
    // accepts but fails is paced by the backoff alone.
    private async Task<bool> ApiPortAcceptsAsync()
    {
        if (!_portRefused) return false;
        var m = _config.Current.Mediamtx;
        if (!await ApiPortWatch.AcceptsAsync(m.Host, m.ApiPort, _stop.Token)) return false;
        _log.LogInformation("MediaMTX's API port {Host}:{Port} accepts again: checking now", m.Host, m.ApiPort);
        _client.EndCircuitBreak(); // only for this: a camera change that wakes the wait leaves an open circuit open
        return true;
    }

    private async ValueTask CheckOnceAsync(CancellationToken ct)
    {
        await _health.CheckServerAsync(ct);
        var result = await _reconciler.ReconcileAsync(ct);
        await RefreshStreamsAsync(ct);
        _health.CheckPassed(result.Changed ? $"; paths +{result.Added.Count} ~{result.Patched.Count} -{result.Removed.Count}" : "");
    }

    // Until the next check is due (or a wake): list the paths every stream_status_interval.
    // False when stopping. A failed listing ends the wait: the check, with its backoff, takes over from there.
    private async Task<bool> FollowStreamsUntilAsync(DateTimeOffset due)
    {
        while (true)
        {
            var left = due - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) return true;
            var step = TimeSpan.FromSeconds(_config.Current.Mediamtx.StreamStatusInterval);
            try
            {
                if (await _wake.WaitAsync(left < step ? left : step, _stop.Token)) return true;
            }
            catch (OperationCanceledException) { return false; }
            if (_health.State != MediaMtxState.Healthy || DateTimeOffset.UtcNow >= due) continue;
            try { await RefreshStreamsAsync(_stop.Token); }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested) { return false; }
            catch (MediaMtxException) { return true; }
        }
    }

    /// <summary>Lists MediaMTX's paths and publishes what changed for the cameras' paths.</summary>
    private async Task RefreshStreamsAsync(CancellationToken ct)
    {
        var paths = await _client.ListPathsAsync(ct);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths.Where(p => PathReconciler.IsManaged(p.Name)))
        {
            seen.Add(p.Name);
            Observe(p.Name, p.IsReady, p.ReaderCount);
        }
        foreach (var gone in _streams.Keys.Where(k => !seen.Contains(k)).ToList()) Observe(gone, false, 0);
    }

    private void MarkStreamsDown()
    {
        foreach (var name in _streams.Keys.ToList()) Observe(name, false, 0);
    }

    private void Observe(string path, bool ready, int readers)
    {
        var before = _streams.GetValueOrDefault(path);
        if (before == (ready, readers)) return; // an unseen path counts as (not ready, no readers)
        if (ready || readers > 0) _streams[path] = (ready, readers);
        else _streams.Remove(path);
        var device = _cameras.Find(path)?.Device ?? path;
        _events.Publish(new StreamStatusChanged(device, path, ready, readers));
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
        _wake.Dispose();
    }
}
