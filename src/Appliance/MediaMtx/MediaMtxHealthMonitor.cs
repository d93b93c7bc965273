using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Appliance.MediaMtx;

public enum MediaMtxState { Unknown, Healthy, Recovering, Failing, CircuitOpen }

/// <summary>The monitor's view of MediaMTX changed (published on the event hub).</summary>
public sealed record MediaMtxStateChanged(MediaMtxState State, string Detail) : ApplianceEvent;

/// <summary>A camera's MediaMTX path became ready or not ready, or its number of readers changed.</summary>
/// <param name="Camera">The camera ("/dev/video0", "virtual0").</param>
/// <param name="Path">Its MediaMTX path ("camera0").</param>
public sealed record StreamStatusChanged(string Camera, string Path, bool Ready, int Readers) : ApplianceEvent
{
    public override string? Device => Camera;
}

/// <summary>
/// Watches MediaMTX and keeps its paths right. Each check asks /v3/info (absent before v1.15.2:
/// then the path list is the liveness check) and reconciles the paths. A failing check is retried
/// by a Polly retry with exponential backoff (backoff_base_multiplier, ±backoff_jitter_range,
/// capped at health_max_backoff_interval) through the client's circuit breaker. After an outage,
/// MediaMTX counts as healthy again only after health_recovery_confirmation_threshold good checks
/// in a row. Camera changes wake the loop so a new camera's path appears at once.
///
/// Between health checks, while MediaMTX is healthy, the same loop lists the paths every
/// mediamtx.stream_status_interval seconds and publishes a <see cref="StreamStatusChanged"/> for each
/// camera path whose readiness or number of readers changed: one poller for every listener, however
/// many clients follow the streams. When MediaMTX goes down its streams are published as not ready.
/// </summary>
public sealed class MediaMtxHealthMonitor : IDisposable
{
    public const string Component = HealthComponents.MediaServer;

    private readonly MediaMtxClient _client;
    private readonly PathReconciler _reconciler;
    private readonly ConfigStore _config;
    private readonly HealthRegistry _health;
    private readonly CameraRegistry _cameras;
    private readonly EventHub _events;
    private readonly ILogger _log;
    private readonly Dictionary<string, (bool Ready, int Readers)> _streams = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;
    private int _consecutiveOk;
    private string? _lastStarted;
    private string _lastError = "";

    public MediaMtxHealthMonitor(MediaMtxClient client, PathReconciler reconciler, CameraRegistry cameras, ConfigStore config,
        HealthRegistry health, EventHub events, ILogger<MediaMtxHealthMonitor> log)
    {
        _client = client;
        _reconciler = reconciler;
        _config = config;
        _health = health;
        _cameras = cameras;
        _events = events;
        _log = log;
        events.On<CameraChange>(nameof(MediaMtxHealthMonitor), _ => Wake());
    }

    public MediaMtxState State { get; private set; } = MediaMtxState.Unknown;
    public string? Version { get; private set; }
    public long Checks { get; private set; }
    public long Failures { get; private set; }

    public void Start()
    {
        _health.Report(Component, ComponentState.Starting, "connecting to the MediaMTX API");
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Runs a check and reconcile now instead of at the next interval.</summary>
    public void Wake()
    {
        try { if (_wake.CurrentCount == 0) _wake.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>Called by the client when its circuit changes state.</summary>
    public void OnCircuitChange(CircuitState state, string reason)
    {
        if (state == CircuitState.Open)
        {
            _log.LogError("MediaMTX circuit OPEN ({Reason}): media calls fail fast for {Seconds} s", reason, _config.Current.Mediamtx.HealthCircuitBreakerTimeout);
            SetState(MediaMtxState.CircuitOpen, $"circuit open: {reason}");
        }
        else if (state == CircuitState.HalfOpen) _log.LogInformation("MediaMTX circuit half-open: probing");
        else _log.LogInformation("MediaMTX circuit closed");
    }

    private async Task LoopAsync()
    {
        var retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            ShouldHandle = new PredicateBuilder().Handle<MediaMtxException>(e => e.Kind is MediaMtxErrorKind.Unavailable or MediaMtxErrorKind.Unauthorized),
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff(args.AttemptNumber)),
            OnRetry = args =>
            {
                Failures++;
                _consecutiveOk = 0;
                _lastError = args.Outcome.Exception?.Message ?? "failed";
                if (State != MediaMtxState.CircuitOpen || _client.Circuit != CircuitState.Open)
                    SetState(_client.Circuit == CircuitState.Open ? MediaMtxState.CircuitOpen : MediaMtxState.Failing, _lastError);
                MarkStreamsDown();
                _log.LogWarning("MediaMTX check failed ({Error}); retrying in {Delay:F1} s", _lastError, args.RetryDelay.TotalSeconds);
                return ValueTask.CompletedTask;
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
            var m = _config.Current.Mediamtx;
            // Confirm a recovery quickly, then settle into the configured interval.
            var wait = State == MediaMtxState.Recovering ? TimeSpan.FromSeconds(Math.Min(1, m.HealthCheckInterval)) : TimeSpan.FromSeconds(m.HealthCheckInterval);
            if (!await FollowStreamsUntilAsync(DateTimeOffset.UtcNow + wait)) break;
        }
    }

    // Until the next health check is due (or a wake): list the paths every stream_status_interval.
    // False when the monitor is stopping. A failed listing ends the wait: the health check, with its
    // backoff, takes over from there.
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
            if (State != MediaMtxState.Healthy || DateTimeOffset.UtcNow >= due) continue;
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
        var device = _cameras.All.FirstOrDefault(c => c.StreamPath == path)?.Device ?? path;
        _events.Publish(new StreamStatusChanged(device, path, ready, readers));
    }

    private async ValueTask CheckOnceAsync(CancellationToken ct)
    {
        Checks++;
        var info = await _client.GetInfoAsync(ct);
        Version = info?.Version ?? "unknown (before v1.15.2, no /v3/info)";
        if (info?.Started is { } started && _lastStarted is not null && started != _lastStarted)
            _log.LogWarning("MediaMTX restarted (started {Started}); re-creating paths", started);
        if (info?.Started is not null) _lastStarted = info.Started;
        var result = await _reconciler.ReconcileAsync(ct);
        await RefreshStreamsAsync(ct);
        _consecutiveOk++;
        var needed = _config.Current.Mediamtx.HealthRecoveryConfirmationThreshold;
        var wasDown = State is MediaMtxState.Failing or MediaMtxState.CircuitOpen or MediaMtxState.Recovering;
        if (wasDown && _consecutiveOk < needed)
            SetState(MediaMtxState.Recovering, $"recovering: {_consecutiveOk} of {needed} checks ok");
        else
            SetState(MediaMtxState.Healthy, $"MediaMTX {Version} at {_config.Current.Mediamtx.Host}:{_config.Current.Mediamtx.ApiPort}" +
                (result.Changed ? $"; paths +{result.Added.Count} ~{result.Patched.Count} -{result.Removed.Count}" : ""));
    }

    private TimeSpan Backoff(int attempt)
    {
        var m = _config.Current.Mediamtx;
        var seconds = Math.Min(m.HealthMaxBackoffInterval, Math.Pow(m.BackoffBaseMultiplier, Math.Min(attempt, 30)));
        var jitter = 1 + ((Random.Shared.NextDouble() * 2) - 1) * m.BackoffJitterRange;
        return TimeSpan.FromSeconds(Math.Max(0.05, Math.Min(m.HealthMaxBackoffInterval, seconds * jitter)));
    }

    private void SetState(MediaMtxState state, string detail)
    {
        var changed = state != State;
        State = state;
        _health.Report(Component, state switch
        {
            MediaMtxState.Healthy => ComponentState.Running,
            MediaMtxState.Unknown => ComponentState.Starting,
            _ => ComponentState.Degraded,
        }, detail);
        if (changed)
        {
            if (state == MediaMtxState.Healthy) _log.LogInformation("MediaMTX healthy: {Detail}", detail);
            _events.Publish(new MediaMtxStateChanged(state, detail));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
        _wake.Dispose();
    }
}
