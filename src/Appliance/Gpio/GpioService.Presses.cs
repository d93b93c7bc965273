using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

// The press queue: physical presses and press_button take the same path, one press at a time.
public sealed partial class GpioService
{
    private sealed record PendingPress(string Button, PressKind Kind, string Origin, TaskCompletionSource<ButtonPressResult> Done);

    /// <summary>Presses a button as if by hand (press_button); completes when the action has run.</summary>
    /// <exception cref="ButtonBusyException">the queue of presses waiting to run is full.</exception>
    public Task<ButtonPressResult> PressAsync(string button, PressKind kind, CancellationToken ct)
    {
        var pending = new PendingPress(button, kind, "press_button", new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_presses.Writer.TryWrite(pending)) throw new ButtonBusyException("earlier presses are still being handled; try again in a moment");
        return pending.Done.Task.WaitAsync(ct);
    }

    // On a timer thread of the debouncer: only queue, never wait.
    private void OnPhysicalPress(PressKind kind)
    {
        var pending = new PendingPress(ButtonActions.SnapshotButton, kind, "gpio", new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_presses.Writer.TryWrite(pending))
            _log.LogWarning("Button {Button}: {Press} press ignored, earlier presses are still being handled", pending.Button, kind);
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
                    _log.LogError(e, "Button {Button}: {Press} press failed", press.Button, press.Kind);
                    press.Done.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task<ButtonPressResult> HandleAsync(PendingPress press)
    {
        var plan = _actions.Plan(press.Button, press.Kind);
        _log.LogInformation("Button {Button}: {Press} press ({Origin}) -> {Action} {Devices}", plan.Button, plan.PressName, press.Origin,
            plan.Action, string.Join(", ", plan.Devices));
        _events.Publish(new ButtonPressed(plan, press.Origin));
        var outcomes = await _actions.ExecuteAsync(plan, _stop.Token);
        foreach (var failed in outcomes.Where(o => !o.Success))
            _log.LogWarning("Button {Button}: {Action} on {Device} failed: {Error}", plan.Button, plan.Action, failed.Device, failed.Error);
        return new ButtonPressResult(plan.Button, plan.PressName, plan.Action, plan.Devices, [.. outcomes]);
    }
}
