using System.Threading.Channels;
using Appliance.Events;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>More presses are waiting than the button queue holds.</summary>
public sealed class ButtonBusyException(string message) : Exception(message);

/// <summary>A button press was decided, before its action runs (published on the event hub).</summary>
/// <param name="Origin">"gpio" (the physical button) or "press_button".</param>
public sealed record ButtonPressed(ButtonPlan Plan, string Origin) : ApplianceEvent;

/// <summary>
/// The one path every press takes, physical or from press_button: a short bounded queue and one
/// worker, so presses run one at a time, off the GPIO line's event thread, and neither the RPC
/// server nor libgpiod ever waits on FFmpeg. A press that finds the queue full is refused, never held.
/// </summary>
public sealed class ButtonPressQueue(IButtonActions actions, EventHub events, ILogger log) : IDisposable
{
    private sealed record PendingPress(string Button, PressKind Kind, string Origin, TaskCompletionSource<ButtonPressResult> Done);

    private readonly Channel<PendingPress> _presses = Channel.CreateBounded<PendingPress>(new BoundedChannelOptions(4) { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Task? _worker;

    public void Start() => _worker = Task.Run(WorkAsync);

    /// <summary>Presses a button as if by hand (press_button); completes when the action has run.</summary>
    /// <exception cref="ButtonBusyException">the queue of presses waiting to run is full.</exception>
    public Task<ButtonPressResult> PressAsync(string button, PressKind kind, CancellationToken ct)
    {
        var pending = new PendingPress(button, kind, "press_button", new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_presses.Writer.TryWrite(pending)) throw new ButtonBusyException("earlier presses are still being handled; try again in a moment");
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <summary>The physical snapshot button, on a timer thread of the debouncer: only queue, never wait.</summary>
    public void PressPhysical(PressKind kind)
    {
        var pending = new PendingPress(ButtonActions.SnapshotButton, kind, "gpio", new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_presses.Writer.TryWrite(pending))
            log.LogWarning("Button {Button}: {Press} press ignored, earlier presses are still being handled", pending.Button, kind);
    }

    private async Task WorkAsync()
    {
        try
        {
            await foreach (var press in _presses.Reader.ReadAllAsync(_stop.Token))
            {
                try
                {
                    press.Done.TrySetResult(await HandleAsync(press));
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    press.Done.TrySetCanceled();
                }
                catch (Exception e)
                {
                    log.LogError(e, "Button {Button}: {Press} press failed", press.Button, press.Kind);
                    press.Done.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task<ButtonPressResult> HandleAsync(PendingPress press)
    {
        var plan = actions.Plan(press.Button, press.Kind);
        log.LogInformation("Button {Button}: {Press} press ({Origin}) -> {Action} {Devices}", plan.Button, plan.PressName, press.Origin,
            plan.Action, string.Join(", ", plan.Devices));
        events.Publish(new ButtonPressed(plan, press.Origin));
        var outcomes = await actions.ExecuteAsync(plan, _stop.Token);
        foreach (var failed in outcomes.Where(o => !o.Success))
            log.LogWarning("Button {Button}: {Action} on {Device} failed: {Error}", plan.Button, plan.Action, failed.Device, failed.Error);
        return new ButtonPressResult(plan.Button, plan.PressName, plan.Action, plan.Devices, [.. outcomes]);
    }

    /// <summary>Stops the worker (a running action is cancelled) and cancels the presses still waiting.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested) return; // the host and a test may both dispose
        _stop.Cancel();
        _presses.Writer.TryComplete();
        try { _worker?.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        while (_presses.Reader.TryRead(out var left)) left.Done.TrySetCanceled();
    }
}
