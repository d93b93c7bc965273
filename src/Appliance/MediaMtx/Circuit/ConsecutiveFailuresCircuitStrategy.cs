using Polly;

namespace Appliance.MediaMtx.Circuit;

/// <summary>
/// The Polly strategy around a <see cref="ConsecutiveFailuresCircuit"/> (as Polly's own
/// CircuitBreakerResilienceStrategy is around its state controller): an open circuit answers with
/// its refusal without running the call; otherwise the call runs and its outcome is counted.
/// </summary>
/// <param name="isFailure">Which exceptions are failures of the server. Other exceptions are answers
/// (a refusal is the server speaking) and count as successes.</param>
internal sealed class ConsecutiveFailuresCircuitStrategy(ConsecutiveFailuresCircuit circuit, Func<Exception, bool> isFailure) : ResilienceStrategy
{
    protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        if (circuit.OnActionPreExecute() is { } refusal) return Outcome.FromException<TResult>(refusal);
        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        switch (outcome.Exception)
        {
            case OperationCanceledException:
                break; // the caller gave up: that says nothing about the server
            case { } failure when isFailure(failure):
                circuit.OnActionFailure(failure);
                break;
            default:
                circuit.OnActionSuccess();
                break;
        }
        return outcome;
    }
}

/// <summary>Adds a <see cref="ConsecutiveFailuresCircuit"/> to a pipeline.</summary>
internal static class ConsecutiveFailuresCircuitBuilderExtensions
{
    public static ResiliencePipelineBuilder AddConsecutiveFailuresCircuit(this ResiliencePipelineBuilder builder,
        ConsecutiveFailuresCircuit circuit, Func<Exception, bool> isFailure) =>
        builder.AddStrategy(_ => new ConsecutiveFailuresCircuitStrategy(circuit, isFailure));
}
