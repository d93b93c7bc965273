using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;

namespace Appliance.Hosting.Composition;

/// <summary>MediaMTX: one client (timeout + circuit, whose changes go on the hub), the health monitor,
/// the path reconciler, and the camera streams (their loop reconciles and follows stream status,
/// from the moment the API listens).</summary>
internal sealed record MediaServerParts(MediaCredentials Credentials, MediaMtxClient Client, MediaMtxHealthMonitor Monitor, PathReconciler Reconciler,
    CameraStreams Streams)
{
    public static MediaServerParts Add(HostContext host, CamerasParts cameras)
    {
        var credentials = MediaCredentials.Generate(host.Config.Current.Mediamtx); // per boot: MediaMTX asks the auth hook about them
        var client = new MediaMtxClient(host.Config, host.Events, credentials);
        var monitor = new MediaMtxHealthMonitor(client, host.Config, host.Health, host.Events, host.Log<MediaMtxHealthMonitor>());
        var reconciler = new PathReconciler(client, cameras.Registry, host.Config, host.Log<PathReconciler>());
        var streams = new CameraStreams(client, reconciler, monitor, cameras.Registry, host.Config, host.Events, host.Log<CameraStreams>());
        host.Lifetime.ApplicationStarted.Register(streams.Start);
        host.Lifetime.ApplicationStopped.Register(() =>
        {
            streams.Dispose();
            client.Dispose();
        });
        return new MediaServerParts(credentials, client, monitor, reconciler, streams);
    }
}
