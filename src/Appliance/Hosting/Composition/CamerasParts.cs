using Appliance.Cameras;

namespace Appliance.Hosting.Composition;

/// <summary>Cameras: the registry is the single source of truth; discovery keeps it in step with /dev
/// (and [[camera.virtual]]). Discovery runs its first scan in <see cref="ApplianceHost.StartAsync"/>.</summary>
internal sealed record CamerasParts(CameraRegistry Registry, CameraDiscovery Discovery)
{
    public static CamerasParts Add(HostContext host)
    {
        var registry = new CameraRegistry(host.Events);
        var probe = host.Overrides.CameraProbe ?? new V4l2CameraProbe(host.Log<V4l2CameraProbe>());
        var discovery = new CameraDiscovery(host.Config, registry, probe, host.Health, host.Events, host.Log<CameraDiscovery>(),
            host.Overrides.DevDirectory ?? "/dev");
        host.Lifetime.ApplicationStopped.Register(discovery.Dispose);
        return new CamerasParts(registry, discovery);
    }
}
