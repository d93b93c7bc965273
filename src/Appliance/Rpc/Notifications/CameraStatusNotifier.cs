using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Rpc.Methods;
using Appliance.Security;

namespace Appliance.Rpc.Notifications;

public sealed record CameraStatusUpdate(string Device, string Status, string Name, string Resolution, int Fps, StreamsObject Streams, string DevicePath);

/// <summary>
/// Sends the v1 <c>camera_status_update</c> notification to authenticated clients whenever the
/// registry reports a camera connecting, disconnecting or changing. The stream URLs depend on the
/// host each client used, so the notification is serialized once per distinct host, not per client.
/// </summary>
public sealed class CameraStatusNotifier(CameraRegistry cameras, ConnectionRegistry connections, ConfigStore config)
{
    public void Start() => cameras.Changed += OnChanged;

    private void OnChanged(CameraChange change)
    {
        var now = DateTimeOffset.UtcNow;
        var byHost = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var client in connections.All)
        {
            if (client.CurrentRole(now) == Role.None) continue;
            if (!byHost.TryGetValue(client.RequestHost, out var frame))
            {
                frame = Serialize(change.Current, client.RequestHost, config.Current);
                byHost[client.RequestHost] = frame;
            }
            connections.Send(client, frame);
        }
    }

    public static byte[] Serialize(Camera camera, string host, ApplianceConfig config)
    {
        var o = CameraMethods.ToObject(camera, host, config);
        var update = new CameraStatusUpdate(o.Device, o.Status, o.Name, o.Resolution, o.Fps, o.Streams, o.DevicePath);
        return NotificationFrame.Serialize("camera_status_update", update, RpcJsonContext.Default.CameraStatusUpdate);
    }
}
