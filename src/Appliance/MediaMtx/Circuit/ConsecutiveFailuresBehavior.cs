namespace Appliance.MediaMtx.Circuit;

/// <summary>
/// When the circuit trips: after a number of failures in a row (mediamtx.health_failure_threshold),
/// the role Polly's own CircuitBehavior plays for its breaker. Polly v8's breaker trips on a failure
/// <i>ratio</i> over a sampling window, so the successes just before an outage keep it closed for
/// the whole window; the product wants "N consecutive failures". Not thread-safe: the
/// <see cref="ConsecutiveFailuresCircuit"/> calls it under its lock.
/// </summary>
/// <param name="threshold">Read at every outcome: the setting reloads live.</param>
internal sealed class ConsecutiveFailuresBehavior(Func<int> threshold)
{
    public int Failures { get; private set; }

    /// <summary>True when the failures so far are enough to keep the circuit open.</summary>
    public bool ThresholdReached => Failures >= threshold();

    public void OnActionSuccess() => Failures = 0;

    /// <summary>Counts the failure; true when the circuit must open (or stay open).</summary>
    public bool OnActionFailure()
    {
        Failures++;
        return ThresholdReached;
    }
}
