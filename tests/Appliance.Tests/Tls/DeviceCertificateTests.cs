using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Security.Tls;
using Appliance.Tests.Support;

namespace Appliance.Tests.Tls;

/// <summary>The device certificate on real files: made once, kept, reused; a provided PEM pair used as is;
/// unreadable files handled as documented in DeviceCertificate.</summary>
public class DeviceCertificateTests
{
    [Test]
    public void FirstUseMakesAnEcdsaServerCertificateThatLaterUsesReuse()
    {
        using var dir = new TestDirectory();
        var config = TlsTestCertificates.Config(dir);
        var first = DeviceCertificate.LoadOrCreate(config, "cam-0042");
        Assert.That(first.Source, Is.EqualTo(CertificateSource.Created));
        Assert.That(first.CertificatePath, Is.EqualTo(dir.File("state/tls/device.crt")));
        Assert.That(first.KeyPath, Is.EqualTo(dir.File("state/tls/device.key")));
        Assert.That(File.ReadAllText(first.KeyPath), Does.StartWith("-----BEGIN PRIVATE KEY-----"));

        var cert = first.Certificate;
        Assert.That(cert.GetECDsaPublicKey()!.ExportParameters(false).Curve.Oid.FriendlyName, Is.EqualTo("nistP256").Or.EqualTo("ECDSA_P256"));
        Assert.That(cert.NotBefore.ToUniversalTime(), Is.EqualTo(new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
        Assert.That(cert.NotAfter.ToUniversalTime(), Is.GreaterThan(DateTime.UtcNow.AddYears(9)));
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.That(san.EnumerateDnsNames(), Is.EquivalentTo(new[] { "cam-0042", "cam-0042.local", "localhost" }));
        Assert.That(san.EnumerateIPAddresses(), Is.EquivalentTo(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }));
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.That(eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value), Is.EqualTo(new[] { "1.3.6.1.5.5.7.3.1" }));

        var again = DeviceCertificate.LoadOrCreate(config, "another-name");
        Assert.That(again.Source, Is.EqualTo(CertificateSource.Existing));
        Assert.That(CertificateFingerprint.Sha256(again.Certificate), Is.EqualTo(CertificateFingerprint.Sha256(cert)));
        Assert.That(again.Certificate.HasPrivateKey, Is.True);
    }

    [Test]
    public void TheKeyIsOwnerOnlyUnlessTheDirectoryIsSharedWithSetGroupId()
    {
        using var dir = new TestDirectory();
        var own = DeviceCertificate.LoadOrCreate(TlsTestCertificates.Config(dir), "cam");
        Assert.That(File.GetUnixFileMode(own.KeyPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

        // The image's /var/lib/appliance-tls: 2750, so MediaMTX's group may read the key, nobody else.
        var shared = Directory.CreateDirectory(dir.File("shared")).FullName;
        File.SetUnixFileMode(shared, (UnixFileMode)Convert.ToInt32("2750", 8));
        var inShared = DeviceCertificate.LoadOrCreate(TlsTestCertificates.Config(dir, $"tls_directory = \"{shared}\""), "cam");
        Assert.That(inShared.KeyPath, Is.EqualTo(Path.Combine(shared, "device.key")));
        Assert.That(File.GetUnixFileMode(inShared.KeyPath) & ~(UnixFileMode)Convert.ToInt32("0027", 8),
            Is.EqualTo(File.GetUnixFileMode(inShared.KeyPath)), "nothing for others, no group write");
        Assert.That(File.GetUnixFileMode(inShared.KeyPath) & UnixFileMode.GroupRead, Is.EqualTo(UnixFileMode.GroupRead));
    }

    [Test]
    public void AProvidedPemPairIsUsedAndNothingIsMade()
    {
        using var dir = new TestDirectory();
        var (certPath, keyPath, expected) = TlsTestCertificates.WriteOwnPem(dir);
        var loaded = DeviceCertificate.LoadOrCreate(TlsTestCertificates.Config(dir, $"tls_certificate = \"{certPath}\"\ntls_key = \"own.key\""));
        Assert.That(loaded.Source, Is.EqualTo(CertificateSource.Provided));
        Assert.That(loaded.KeyPath, Is.EqualTo(keyPath), "a relative path is relative to the config file");
        Assert.That(CertificateFingerprint.Sha256(loaded.Certificate), Is.EqualTo(CertificateFingerprint.Sha256(expected)));
        Assert.That(loaded.Certificate.HasPrivateKey, Is.True);
        Assert.That(Directory.Exists(dir.File("state/tls")), Is.False);
    }

    [Test]
    public void AnUnreadableProvidedPairIsAClearErrorNamingTheFile()
    {
        using var dir = new TestDirectory();
        var (certPath, keyPath, _) = TlsTestCertificates.WriteOwnPem(dir);
        var config = TlsTestCertificates.Config(dir, $"tls_certificate = \"{certPath}\"\ntls_key = \"{keyPath}\"");

        File.WriteAllText(certPath, "this is not a certificate\n");
        var garbage = Assert.Throws<DeviceCertificateException>(() => DeviceCertificate.LoadOrCreate(config));
        Assert.That(garbage!.Message, Does.StartWith(certPath + ": ").And.Contain("PEM certificate"));

        var (_, otherKey, _) = TlsTestCertificates.WriteOwnPem(dir, "other");
        TlsTestCertificates.WriteOwnPem(dir); // a good certificate again...
        File.Copy(otherKey, keyPath, overwrite: true); // ...with somebody else's key
        var mismatch = Assert.Throws<DeviceCertificateException>(() => DeviceCertificate.LoadOrCreate(config));
        Assert.That(mismatch!.Message, Does.StartWith(keyPath + ": ").And.Contain("private key for the certificate in " + certPath));

        File.Delete(keyPath);
        var missing = Assert.Throws<DeviceCertificateException>(() => DeviceCertificate.LoadOrCreate(config));
        Assert.That(missing!.Message, Does.StartWith(keyPath + ": cannot read the TLS private key"));
        Assert.That(File.Exists(keyPath), Is.False, "a provided key is never made");
    }

    [Test]
    public void TheDevicesOwnCorruptFilesAreSetAsideAndANewCertificateMade()
    {
        using var dir = new TestDirectory();
        var config = TlsTestCertificates.Config(dir);
        var first = DeviceCertificate.LoadOrCreate(config, "cam");
        File.WriteAllText(first.CertificatePath, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var replaced = DeviceCertificate.LoadOrCreate(config, "cam");
        Assert.That(replaced.Source, Is.EqualTo(CertificateSource.Replaced));
        Assert.That(replaced.Problem, Does.StartWith(first.CertificatePath + ": "));
        Assert.That(File.ReadAllText(first.CertificatePath + ".corrupt"), Does.Contain("AAAA"), "kept for a post-mortem");
        Assert.That(File.Exists(first.KeyPath + ".corrupt"), Is.True);
        Assert.That(CertificateFingerprint.Sha256(replaced.Certificate), Is.Not.EqualTo(CertificateFingerprint.Sha256(first.Certificate)));
        Assert.That(DeviceCertificate.LoadOrCreate(config, "cam").Source, Is.EqualTo(CertificateSource.Existing));

        File.Delete(first.KeyPath); // half a pair: also remade, not served without a key
        var half = DeviceCertificate.LoadOrCreate(config, "cam");
        Assert.That((half.Source, half.Problem), Is.EqualTo((CertificateSource.Replaced, first.KeyPath + " is missing (only half of the device certificate is there)")));
    }

    [Test]
    public void FingerprintsHaveOpenSslsFormAndTheSpkiPinIsTheKeysHash()
    {
        using var dir = new TestDirectory();
        var cert = DeviceCertificate.LoadOrCreate(TlsTestCertificates.Config(dir), "cam").Certificate;
        var fingerprint = CertificateFingerprint.Sha256(cert);
        Assert.That(fingerprint, Does.Match("^([0-9A-F]{2}:){31}[0-9A-F]{2}$"));
        Assert.That(fingerprint.Replace(":", ""), Is.EqualTo(cert.GetCertHashString(HashAlgorithmName.SHA256)));
        var pin = Convert.FromBase64String(CertificateFingerprint.SpkiPin(cert));
        Assert.That(pin, Is.EqualTo(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo())));
    }
}
