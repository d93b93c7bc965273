using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.Security.Tls;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting.Composition;

/// <summary>
/// Start and stop, and what systemd hears of them. Registered last on purpose: the host runs its
/// started and stopping callbacks newest first, so this shutdown sequence runs before any
/// subsystem's own stop: tell everyone (LEDs dark, system.shutdown), finalise the recordings (their
/// STOPPED notifications still reach the clients), stop every child left, let the hub deliver what
/// is queued, and only then close the connections with 1001.
/// </summary>
internal static class Lifecycle
{
    public static SystemdNotifications Wire(HostContext host, ApplianceConfig initial, LoadedCertificate? tlsCertificate, Func<int> mediaAuthHookPort,
        ProcessesParts processes, MediaParts media, JsonRpcParts api)
    {
        var (app, events, health, config) = (host.App, host.Events, host.Health, host.Config);
        var log = host.Log<ApplianceHost>();
        var systemd = new SystemdNotifications(app.Services.GetRequiredService<ISystemdNotifier>(), events, health, app.Lifetime, host.Log<SystemdNotifications>());
        if (tlsCertificate is not null) HttpsListener.LogCertificate(log, tlsCertificate);
        app.Lifetime.ApplicationStarted.Register(() => FaultInjection.Arm(initial, events, log));
        health.Report(HealthComponents.ApiServer, ComponentState.Starting, "binding");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            // The media-auth hook's loopback listener shares this Kestrel but serves only MediaMTX's questions: not an API address.
            var hookSuffix = $":{mediaAuthHookPort()}";
            var addresses = string.Join(", ", (app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
                .Where(a => !a.EndsWith(hookSuffix, StringComparison.Ordinal)));
            health.Report(HealthComponents.ApiServer, ComponentState.Running, $"listening on {addresses}");
            events.Publish(new ServiceLifecycleEvent(Started: true, AppInfo.Version, AppInfo.Uptime));
            log.LogInformation("{Name} {Version} ({Revision}) serving JSON-RPC at {Addresses}{Path}", AppInfo.Name, AppInfo.Version, AppInfo.GitRevision,
                addresses, initial.Server.WebsocketPath);
            if (host.Overrides.WatchConfig) config.Watch();
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            health.Report(HealthComponents.ApiServer, ComponentState.Stopped, "shutting down");
            events.Publish(new ServiceLifecycleEvent(Started: false, AppInfo.Version, AppInfo.Uptime));
            // Recordings are finalised (trailer written) before the process goes; then no child is left.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, initial.Server.ShutdownTimeout - 3)));
            try
            {
                media.Recorder.StopAllAsync(stopping.Token).GetAwaiter().GetResult();
                processes.Children.StopAllAsync(stopping.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) { }
            events.Flush(TimeSpan.FromSeconds(1));
            api.GoAway.Cancel();
        });
        systemd.Start();
        return systemd;
    }
}
