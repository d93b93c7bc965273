using Appliance.Rpc.Notifications;
using Appliance.Media.Snapshots;
using Appliance.Rpc;

namespace Appliance.Gpio;

/// <summary>
/// Tells authenticated WebSocket clients about button presses: <c>button_pressed</c> when a press
/// is decided, and <c>snapshot_taken</c> for each snapshot the button takes. Each frame is
/// serialized once for all clients. (The events-and-subscriptions work will route these through
/// its topics; until then they go to every authenticated connection, like the v1 notifications.)
/// </summary>
public sealed class ButtonNotifier(ConnectionRegistry connections)
{
    public const string ButtonSource = "button";

    public void Attach(GpioService gpio, SnapshotTaker snapshots)
    {
        gpio.Pressed += SendPressed;
        snapshots.Taken += o =>
        {
            if (o.Source == ButtonSource) SendSnapshot(o);
        };
    }

    public void SendPressed(ButtonPlan plan) =>
        connections.SendToAuthenticated(NotificationFrame.Serialize("button_pressed", new ButtonPressedNotification(plan.Button, plan.PressName, plan.Action, plan.Devices),
            GpioJsonContext.Default.ButtonPressedNotification));

    public void SendSnapshot(SnapshotOutcome o) =>
        connections.SendToAuthenticated(NotificationFrame.Serialize("snapshot_taken", new SnapshotTakenNotification(o.Camera.Device, o.FileName, o.FileSize, o.Source),
            GpioJsonContext.Default.SnapshotTakenNotification));
}
