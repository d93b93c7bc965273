using Appliance.Gpio;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

/// <summary>
/// press_button (admin): presses the snapshot button as if by hand, for boards without one and
/// for remote help. {button?: "snapshot", press?: "short"|"long"} -> what it did:
/// {button, press, action, devices, results: [{device, success, filename?, error?}]}.
/// get_gpio_state (viewer): the LEDs and the button as they are now (<see cref="GpioState"/>).
/// </summary>
public sealed class GpioMethods(GpioService gpio)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("press_button", Role.Admin, PressButton);
        table.Add("get_gpio_state", Role.Viewer, _ => ValueTask.FromResult(RpcResult.From(gpio.State(), GpioJsonContext.Default.GpioState)));
    }

    private async ValueTask<RpcResult> PressButton(RpcCall call)
    {
        var button = call.OptionalEnum("button", ButtonActions.SnapshotButton) ?? ButtonActions.SnapshotButton;
        var press = call.OptionalEnum("press", "short", "long") == "long" ? PressKind.Long : PressKind.Short;
        try
        {
            var result = await gpio.PressAsync(button, press, call.Cancellation);
            return RpcResult.From(result, GpioJsonContext.Default.ButtonPressResult);
        }
        catch (ButtonBusyException e)
        {
            throw new RpcException(RpcErrorCode.RateLimited, e.Message);
        }
    }
}
