using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaMtx.Circuit;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace Appliance.MediaMtx;

public enum MediaMtxState { Unknown, Healthy, Recovering, Failing, CircuitOpen }

/// <summary>The monitor's view of MediaMTX changed (published on the event hub).</summary>
public sealed record MediaMtxStateChanged(MediaMtxState State, string Detail) : ApplianceEvent;

/// <summary>
/// Judges MediaMTX's health and reports it (health component <see cref="Component"/>, a
/// <see cref="MediaMtxStateChanged"/> on every change). A check asks /v3/info (absent before
/// v1.15.2: then the rest of the check is the liveness check); the streams loop
/// (<see cref="Streams.CameraStreams"/>) runs the checks, reconciles the paths in the same check and
/// tells this monitor how each ended. After an outage MediaMTX counts as healthy again only after
/// health_recovery_confirmation_threshold good checks in a row; a failing check is retried with
/// exponential backoff (<see cref="Backoff"/>). The client's circuit changes come from the event hub.
/// </summary>
public sealed class MediaMtxHealthMonitor
{
    public const string Component = HealthComponents.MediaServer;

    private readonly MediaMtxClient _client;
    private readonly ConfigStore _config;
    private readonly HealthRegistry _health;
    private readonly EventHub _events;
    private readonly ILogger _log;
    private int _consecutiveOk;
    private string? _lastStarted;

    public MediaMtxHealthMonitor(MediaMtxClient client, ConfigStore config, HealthRegistry health, EventHub events, ILogger<MediaMtxHealthMonitor> log)
    {
        _client = client;
        _config = config;
        _health = health;
        _events = events;
        _log = log;
        events.On<MediaMtxCircuitChanged>(nameof(MediaMtxHealthMonitor), OnCircuitChange);
    }

    public MediaMtxState State { get; private set; } = MediaMtxState.Unknown;
    public string? Version { get; private set; }
    public long Checks { get; private set; }
    public long Failures { get; private set; }

    /// <summary>When the next check is due after one ended: soon while a recovery is being
    /// confirmed, else at the configured interval.</summary>
    public TimeSpan NextCheckIn
    {
        get
        {
            var interval = _config.Current.Mediamtx.HealthCheckInterval;
            return State == MediaMtxState.Recovering ? TimeSpan.FromSeconds(Math.Min(1, interval)) : TimeSpan.FromSeconds(interval);
        }
    }

    public void Start() => _health.Report(Component, ComponentState.Starting, "connecting to the MediaMTX API");

    /// <summary>A check's own question to MediaMTX: its version and start time (a new start time: it restarted).</summary>
    public async Task CheckServerAsync(CancellationToken ct)
    {
        Checks++;
        var info = await _client.GetInfoAsync(ct);
        Version = info?.Version ?? "unknown (before v1.15.2, no /v3/info)";
        if (info?.Started is { } started && _lastStarted is not null && started != _lastStarted)
            _log.LogWarning("MediaMTX restarted (started {Started}); re-creating paths", started);
        if (info?.Started is not null) _lastStarted = info.Started;
    }

    /// <summary>A check went through. <paramref name="pathChanges"/>: what it changed, "" for nothing.</summary>
    public void CheckPassed(string pathChanges)
    {
        _consecutiveOk++;
        var needed = _config.Current.Mediamtx.HealthRecoveryConfirmationThreshold;
        var wasDown = State is MediaMtxState.Failing or MediaMtxState.CircuitOpen or MediaMtxState.Recovering;
        if (wasDown && _consecutiveOk < needed)
            SetState(MediaMtxState.Recovering, $"recovering: {_consecutiveOk} of {needed} checks ok");
        else
            SetState(MediaMtxState.Healthy, $"MediaMTX {Version} at {_config.Current.Mediamtx.Host}:{_config.Current.Mediamtx.ApiPort}{pathChanges}");
    }

    /// <summary>A check failed with an outage; the next one follows in <paramref name="retryIn"/>.</summary>
    public void CheckFailed(Exception? error, TimeSpan retryIn)
    {
        Failures++;
        _consecutiveOk = 0;
        var message = error?.Message ?? "failed";
        if (State != MediaMtxState.CircuitOpen || _client.Circuit != CircuitState.Open)
            SetState(_client.Circuit == CircuitState.Open ? MediaMtxState.CircuitOpen : MediaMtxState.Failing, message);
        _log.LogWarning("MediaMTX check failed ({Error}); retrying in {Delay:F1} s", message, retryIn.TotalSeconds);
    }

    /// <summary>The wait before retry <paramref name="attempt"/>: backoff_base_multiplier^attempt
    /// seconds ±backoff_jitter_range, capped at health_max_backoff_interval.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var m = _config.Current.Mediamtx;
        var seconds = Math.Min(m.HealthMaxBackoffInterval, Math.Pow(m.BackoffBaseMultiplier, Math.Min(attempt, 30)));
        var jitter = 1 + ((Random.Shared.NextDouble() * 2) - 1) * m.BackoffJitterRange;
        return TimeSpan.FromSeconds(Math.Max(0.05, Math.Min(m.HealthMaxBackoffInterval, seconds * jitter)));
    }

    private void OnCircuitChange(MediaMtxCircuitChanged change)
    {
        if (change.State == CircuitState.Open)
        {
            _log.LogError("MediaMTX circuit OPEN ({Reason}): media calls fail fast for {Seconds} s", change.Reason, _config.Current.Mediamtx.HealthCircuitBreakerTimeout);
            SetState(MediaMtxState.CircuitOpen, $"circuit open: {change.Reason}");
        }
        else if (change.State == CircuitState.HalfOpen) _log.LogInformation("MediaMTX circuit half-open: probing");
        else _log.LogInformation("MediaMTX circuit closed");
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
}
