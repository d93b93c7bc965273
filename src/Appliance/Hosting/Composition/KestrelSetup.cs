using System.Net;
using Appliance.Configuration;
using Appliance.MediaAccess;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Appliance.Security.Tls;

namespace Appliance.Hosting.Composition;

/// <summary>The web host before anything of ours exists: logging, Kestrel's listeners and limits, the
/// media-auth hook's loopback listener, systemd's notifier.</summary>
internal static class KestrelSetup
{
    public sealed record Built(WebApplication App, LoadedCertificate? TlsCertificate, Func<int> MediaAuthHookPort);

    public static Built Build(ApplianceConfig initial, HostOverrides overrides, LogLevelSwitch levels)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter(levels.Allows);
        if (initial.Logging.Format == "systemd") builder.Logging.AddSystemdConsole();
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });

        var server = initial.Server;
        // TLS (server.tls_port): the device certificate is loaded, or made on first start, before anything binds.
        var tlsCertificate = server.TlsPort != 0 ? Appliance.Security.Tls.DeviceCertificate.LoadOrCreate(initial) : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            // Kestrel's own limits back up the exact ones in ConnectionRegistry: plain HTTP connections
            // (each listener has its own count) and upgraded WebSockets (with a little room, so that a
            // socket still closing does not refuse a new one that our own count already admitted).
            kestrel.Limits.MaxConcurrentConnections = server.MaxHttpConnections;
            kestrel.Limits.MaxConcurrentUpgradedConnections = server.MaxConnections + 16;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestBufferSize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            var port = overrides.Port ?? server.Port;
            var plainHost = HttpsListener.PlainHost(server); // server.host, or loopback with server.plain_loopback_only
            switch (plainHost)
            {
                case "0.0.0.0" or "*": kestrel.Listen(IPAddress.Any, port); break;
                case "::": kestrel.Listen(IPAddress.IPv6Any, port); break;
                case "localhost": kestrel.ListenLocalhost(port); break;
                default: kestrel.Listen(IPAddress.Parse(plainHost), port); break;
            }
            HttpsListener.Listen(kestrel, server, tlsCertificate, overrides.TlsPort); // after the plain one: BoundAddress is the plain port
        });
        var mediaAuthHookPort = MediaAuthHook.AddListener(builder.WebHost, initial.Mediamtx, overrides.MediaAuthHookPort);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(server.ShutdownTimeout));
        // What the socket transport reads ahead of us per connection (default 1 MiB, held in Kestrel's
        // block pool, which keeps its high-water mark): a flood of big frames then waits in the
        // sender's socket, not in our memory. 64 KiB still fills a LAN link.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets.SocketTransportOptions>(o => o.MaxReadBufferSize = 64 * 1024);
        builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
        return new Built(builder.Build(), tlsCertificate, mediaAuthHookPort);
    }
}
