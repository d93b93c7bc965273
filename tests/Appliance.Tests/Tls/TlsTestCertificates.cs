using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Configuration;
using Appliance.Tests.Support;

namespace Appliance.Tests.Tls;

/// <summary>Configs and certificates the TLS tests share.</summary>
internal static class TlsTestCertificates
{
    /// <summary>A config whose state directory (and so the device certificate's) is in <paramref name="dir"/>.</summary>
    public static ApplianceConfig Config(TestDirectory dir, string serverExtra = "")
    {
        var loaded = ConfigLoader.Load($"[server]\nenvironment = \"development\"\n{serverExtra}\n[storage]\nstate_dir = \"state\"\n",
            dir.File("appliance.toml"), new Dictionary<string, string>());
        Assert.That(loaded.Problems, Is.Empty);
        return loaded.Config!;
    }

    /// <summary>An operator's own certificate (RSA, as a CA would more likely issue) written as PEM files.</summary>
    public static (string CertPath, string KeyPath, X509Certificate2 Certificate) WriteOwnPem(TestDirectory dir, string name = "own")
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=operator-provided.example", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certPath = dir.Write($"{name}.crt", cert.ExportCertificatePem());
        var keyPath = dir.Write($"{name}.key", rsa.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, cert);
    }
}
