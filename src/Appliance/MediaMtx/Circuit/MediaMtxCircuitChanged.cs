using Appliance.Events;
using Polly.CircuitBreaker;

namespace Appliance.MediaMtx.Circuit;

/// <summary>The MediaMTX client's circuit opened (calls fail fast), let calls through again to
/// probe (half-open), or closed (published on the event hub).</summary>
/// <param name="Reason">"3 failures in a row, last: ...", "probing" or "recovered".</param>
public sealed record MediaMtxCircuitChanged(CircuitState State, string Reason) : ApplianceEvent;
