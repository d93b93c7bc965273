using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Health;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Appliance.MediaMtx;

public enum MediaMtxState { Unknown, Healthy, Recovering, Failing, CircuitOpen }

/// <summary>
/// Watches MediaMTX and keeps its paths right. Each check asks /v3/info (absent before v1.15.2:
/// then the path list is the liveness check) and reconciles the paths. A failing check is retried
/// by a Polly retry with exponential backoff (backoff_base_multiplier, ±backoff_jitter_range,
/// capped at health_max_backoff_interval) through the client's circuit breaker. After an outage,
/// MediaMTX counts as healthy again only after health_recovery_confirmation_threshold good checks
/// in a row. Camera changes wake the loop so a new camera's path appears at once.
/// </summary>
public sealed class MediaMtxHealthMonitor : IDisposable
{
    public const string Component = "mediamtx_controller";

    private readonly MediaMtxClient _client;
    private readonly PathReconciler _reconciler;
    private readonly ConfigStore _config;
    private readonly HealthRegistry _health;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private Task? _loop;
    private int _consecutiveOk;
    private string? _lastStarted;
    private string _lastError = "";

    public MediaMtxHealthMonitor(MediaMtxClient client, PathReconciler reconciler, CameraRegistry cameras, ConfigStore config,
        HealthRegistry health, ILogger<MediaMtxHealthMonitor> log)
    {
        _client = client;
        _reconciler = reconciler;
        _config = config;
        _health = health;
        _log = log;
        cameras.Changed += _ => Wake();
    }

    public MediaMtxState State { get; private set; } = MediaMtxState.Unknown;
    public string? Version { get; private set; }
    public long Checks { get; private set; }
    public long Failures { get; private set; }

    /// <summary>Raised when <see cref="State"/> changes.</summary>
    public event Action<MediaMtxState, string>? StateChanged;

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
            try { await _wake.WaitAsync(wait, _stop.Token); }
            catch (OperationCanceledException) { break; }
        }
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
            StateChanged?.Invoke(state, detail);
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
