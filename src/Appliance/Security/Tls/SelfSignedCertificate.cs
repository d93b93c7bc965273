using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Security.Tls;

/// <summary>Makes the device's own TLS certificate: ECDSA P-256, self-signed, a server certificate for
/// the names a technician reaches the box by.</summary>
public static class SelfSignedCertificate
{
    /// <summary>
    /// A fixed not-before in the past rather than "now": an appliance without an RTC or NTP may boot with
    /// its clock at the image's build date, or far behind the time the certificate was made on an earlier
    /// boot, and a not-before in the future would make every client refuse the handshake until the clock
    /// is set. Clients that pin the certificate do not care about its dates at all.
    /// </summary>
    public static readonly DateTimeOffset NotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public const int ValidityYears = 10;

    /// <summary>The certificate (with its private key) and the key alone, for writing out as PEM.</summary>
    public static (X509Certificate2 Certificate, ECDsa Key) Create(string hostName)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + Escape(hostName)), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var dns in Names(hostName)) names.AddDnsName(dns);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        // Ten years from when it is made (or from NotBefore, if the clock is behind even that).
        var from = DateTimeOffset.UtcNow < NotBefore ? NotBefore : DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number
        var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), NotBefore, from.AddYears(ValidityYears), serial);
        return (certificate.CopyWithPrivateKey(key), key);
    }

    /// <summary>The DNS names in the certificate: the host name, its mDNS name and localhost.</summary>
    public static IEnumerable<string> Names(string hostName)
    {
        var names = new List<string>();
        if (Uri.CheckHostName(hostName) == UriHostNameType.Dns && hostName != "localhost")
        {
            names.Add(hostName);
            if (!hostName.Contains('.')) names.Add(hostName + ".local"); // avahi/mDNS name on the LAN
        }
        names.Add("localhost");
        return names;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("+", "\\+").Replace("=", "\\=").Replace("\"", "\\\"");
}
