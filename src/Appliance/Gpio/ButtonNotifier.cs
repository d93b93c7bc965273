using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Media.Snapshots;
using Appliance.Rpc;
using Appliance.Security;

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
        Broadcast(Frame("button_pressed"u8, new ButtonPressedNotification(plan.Button, plan.PressName, plan.Action, plan.Devices),
            GpioJsonContext.Default.ButtonPressedNotification));

    public void SendSnapshot(SnapshotOutcome o) =>
        Broadcast(Frame("snapshot_taken"u8, new SnapshotTakenNotification(o.Camera.Device, o.FileName, o.FileSize, o.Source),
            GpioJsonContext.Default.SnapshotTakenNotification));

    public static byte[] Frame<T>(ReadOnlySpan<byte> method, T value, JsonTypeInfo<T> info)
    {
        using var buffer = new MemoryStream(192);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc"u8, "2.0"u8);
            json.WriteString("method"u8, method);
            json.WritePropertyName("params"u8);
            JsonSerializer.Serialize(json, value, info);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private void Broadcast(byte[] frame)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var client in connections.All)
            if (client.CurrentRole(now) != Role.None) connections.Send(client, frame);
    }
}
