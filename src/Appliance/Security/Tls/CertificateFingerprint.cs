using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Security.Tls;

/// <summary>How a technician or a client pins the device certificate.</summary>
public static class CertificateFingerprint
{
    /// <summary>SHA-256 of the DER certificate as colon-separated upper-case hex, the form of
    /// <c>openssl x509 -noout -fingerprint -sha256</c>.</summary>
    public static string Sha256(X509Certificate cert) =>
        string.Join(':', Convert.ToHexString(SHA256.HashData(cert.GetRawCertData())).Chunk(2).Select(c => new string(c)));

    /// <summary>Base64 SHA-256 of the SubjectPublicKeyInfo (the HPKP / curl --pinnedpubkey "sha256//" form):
    /// survives re-issuing a certificate for the same key.</summary>
    public static string SpkiPin(X509Certificate2 cert) => Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
}
