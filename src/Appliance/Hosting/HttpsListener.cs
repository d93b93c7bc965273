using System.Net;
using System.Security.Authentication;
using Appliance.Configuration;
using Appliance.Security.Tls;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>
/// The HTTPS/WSS listener on server.tls_port: the same app (and so the same /ws, /health/* and download
/// endpoints) as the plain port, behind TLS 1.2 or 1.3 with the device certificate. Kestrel's
/// ListenOptions.UseHttps(options) needs no HTTPS configuration section, so the slim builder's
/// trimmed-down Kestrel stays as it is (no UseKestrelHttpsConfiguration).
/// </summary>
public static class HttpsListener
{
    /// <summary>The plain listener's address: server.host, or loopback only when server.plain_loopback_only.</summary>
    public static string PlainHost(ServerSection server) => server.PlainLoopbackOnly ? "127.0.0.1" : server.Host;

    /// <summary>Adds the TLS listener when server.tls_port is set (portOverride: tests' 0 = any free port).</summary>
    public static void Listen(KestrelServerOptions kestrel, ServerSection server, LoadedCertificate? certificate, int? portOverride)
    {
        if (server.TlsPort == 0 || certificate is null) return;
        var port = portOverride ?? server.TlsPort;
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate.Certificate,
            ServerCertificateChain = certificate.Chain.Count > 0 ? certificate.Chain : null,
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            // A slow or silent client must not hold a connection slot in the handshake.
            HandshakeTimeout = TimeSpan.FromSeconds(10),
        };
        void Configure(ListenOptions o) => o.UseHttps(https);
        switch (server.Host)
        {
            case "0.0.0.0" or "*": kestrel.Listen(IPAddress.Any, port, Configure); break;
            case "::": kestrel.Listen(IPAddress.IPv6Any, port, Configure); break;
            case "localhost": kestrel.ListenLocalhost(port, Configure); break;
            default: kestrel.Listen(IPAddress.Parse(server.Host), port, Configure); break;
        }
    }

    public static void LogCertificate(ILogger log, LoadedCertificate c)
    {
        if (c.Source == CertificateSource.Replaced)
            log.LogWarning("TLS: the device certificate was unreadable ({Problem}); set aside as *.corrupt and a new one made: clients must pin the new fingerprint", c.Problem);
        log.LogInformation("TLS: {Source} certificate {Path}, SHA-256 fingerprint {Fingerprint}, valid until {NotAfter:yyyy-MM-dd}",
            c.Source.ToString().ToLowerInvariant(), c.CertificatePath, CertificateFingerprint.Sha256(c.Certificate), c.Certificate.NotAfter);
    }
}
