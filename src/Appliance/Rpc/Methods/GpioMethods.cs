using Appliance.Gpio;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

/// <summary>
/// press_button (admin): presses the snapshot button as if by hand, for boards without one and
/// for remote help. {button?: "snapshot", press?: "short"|"long"} -> what it did:
/// {button, press, action, devices, results: [{device, success, filename?, error?}]}.
/// </summary>
public sealed class GpioMethods(GpioService gpio)
{
    public void Register(RpcMethodTable table) => table.Add("press_button", Role.Admin, async call =>
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
    });
}
