using Appliance.Events;
using Polly.CircuitBreaker;

namespace Appliance.MediaMtx.Circuit;

/// <summary>
/// The state of a consecutive-failures circuit, the role Polly's CircuitStateController plays for
/// its breaker: closed, open (every call refused at once with a <see cref="BrokenCircuitException"/>
/// until the break ends) or half-open. When the break is over the next call finds the circuit
/// half-open and goes through, and so do the calls after it until an outcome decides: a success
/// closes the circuit, a failure opens it again at once (the failure count was never reset).
/// Every change is published on the event hub as a <see cref="MediaMtxCircuitChanged"/>.
/// <see cref="ConsecutiveFailuresCircuitStrategy"/> puts it in a Polly pipeline.
/// </summary>
public sealed class ConsecutiveFailuresCircuit
{
    private readonly ConsecutiveFailuresBehavior _behavior;
    private readonly Func<TimeSpan> _breakDuration;
    private readonly EventHub _events;
    private readonly Lock _gate = new();
    private CircuitState _state = CircuitState.Closed;
    private DateTimeOffset _openUntil;

    /// <param name="failureThreshold">Failures in a row that open the circuit; read at each outcome.</param>
    /// <param name="breakDuration">How long an open circuit refuses calls; read when it opens.</param>
    public ConsecutiveFailuresCircuit(Func<int> failureThreshold, Func<TimeSpan> breakDuration, EventHub events)
    {
        _behavior = new ConsecutiveFailuresBehavior(failureThreshold);
        _breakDuration = breakDuration;
        _events = events;
    }

    /// <summary>Closed, Open or HalfOpen (never Isolated: there is no manual control).</summary>
    public CircuitState State
    {
        get { lock (_gate) return _state; }
    }

    /// <summary>Ends an open circuit's break now (the service saw the server come back): the next call
    /// finds the circuit half-open and goes through as its probe. Nothing changes when it is not open.</summary>
    public void EndBreak()
    {
        lock (_gate)
            if (_state == CircuitState.Open) _openUntil = DateTimeOffset.MinValue;
    }

    /// <summary>Before a call: null to let it through, else the refusal (the circuit is open).</summary>
    internal BrokenCircuitException? OnActionPreExecute()
    {
        lock (_gate)
        {
            if (_state != CircuitState.Open) return null;
            var left = _openUntil - DateTimeOffset.UtcNow;
            if (left > TimeSpan.Zero) return new BrokenCircuitException("The circuit is open: calls fail fast", left);
            _state = CircuitState.HalfOpen;
        }
        _events.Publish(new MediaMtxCircuitChanged(CircuitState.HalfOpen, "probing"));
        return null;
    }

    /// <summary>The call got an answer: the failure count starts again, and a tripped circuit closes.</summary>
    internal void OnActionSuccess()
    {
        bool closed;
        lock (_gate)
        {
            closed = _behavior.ThresholdReached;
            _behavior.OnActionSuccess();
            if (closed) _state = CircuitState.Closed;
        }
        if (closed) _events.Publish(new MediaMtxCircuitChanged(CircuitState.Closed, "recovered"));
    }

    /// <summary>The call failed: counted, and at the threshold the circuit opens (again) for the break duration.</summary>
    internal void OnActionFailure(Exception failure)
    {
        int failures;
        lock (_gate)
        {
            if (!_behavior.OnActionFailure()) return;
            failures = _behavior.Failures;
            // A call that was already under way when the circuit opened extends the break.
            _openUntil = DateTimeOffset.UtcNow + _breakDuration();
            if (_state == CircuitState.Open) return;
            _state = CircuitState.Open;
        }
        _events.Publish(new MediaMtxCircuitChanged(CircuitState.Open, $"{failures} failures in a row, last: {failure.Message}"));
    }
}
