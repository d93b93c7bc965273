using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Configuration;
using Appliance.Storage;

namespace Appliance.Security.Tls;

/// <summary>Where the certificate the TLS listener serves came from.</summary>
public enum CertificateSource
{
    /// <summary>server.tls_certificate / server.tls_key.</summary>
    Provided,
    /// <summary>The device certificate made on an earlier start.</summary>
    Existing,
    /// <summary>Made now: there was none.</summary>
    Created,
    /// <summary>Made now: the device's own files were unreadable and were set aside (*.corrupt).</summary>
    Replaced,
}

/// <param name="Chain">Further certificates of a provided PEM file (intermediates), sent after the leaf.</param>
/// <param name="Problem">Why the device's own files were replaced (Source = Replaced).</param>
public sealed record LoadedCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain, string CertificatePath, string KeyPath,
    CertificateSource Source, string? Problem = null);

/// <summary>
/// The certificate the HTTPS/WSS listener (and MediaMTX) serves: the operator's own PEM pair when
/// configured, else the device certificate: made once, on first start, kept in server.tls_directory
/// (default &lt;storage.state_dir&gt;/tls) and reused after, so the fingerprint a client pinned stays valid.
/// A provided pair that cannot be loaded is an error (refusing to start says clearly what is wrong; serving
/// some other certificate would not). The device's own pair, if unreadable, is set aside as *.corrupt and
/// made anew with a warning: it is ours to remake, and a device without a certificate would be unreachable
/// over TLS, while a new one only needs re-pinning.
/// </summary>
public static class DeviceCertificate
{
    public const string CertificateFileName = "device.crt";
    public const string KeyFileName = "device.key";

    public static string DirectoryFor(ApplianceConfig config) =>
        config.Server.TlsDirectory.Length > 0 ? config.Server.TlsDirectory : Path.Combine(config.Storage.StateDir, "tls");

    /// <param name="hostName">Name put into a new certificate; default the machine's host name.</param>
    public static LoadedCertificate LoadOrCreate(ApplianceConfig config, string? hostName = null)
    {
        var s = config.Server;
        if (s.TlsCertificate.Length > 0)
        {
            var (cert, chain) = Load(s.TlsCertificate, s.TlsKey);
            return new LoadedCertificate(cert, chain, s.TlsCertificate, s.TlsKey, CertificateSource.Provided);
        }
        var dir = DirectoryFor(config);
        var certPath = Path.Combine(dir, CertificateFileName);
        var keyPath = Path.Combine(dir, KeyFileName);
        var haveCert = File.Exists(certPath);
        var haveKey = File.Exists(keyPath);
        string? problem = null;
        if (haveCert && haveKey)
        {
            try
            {
                var (cert, chain) = Load(certPath, keyPath);
                return new LoadedCertificate(cert, chain, certPath, keyPath, CertificateSource.Existing);
            }
            catch (DeviceCertificateException e) when (e.InnerException is not UnauthorizedAccessException)
            {
                problem = e.Message;
            }
        }
        else if (haveCert || haveKey)
        {
            problem = $"{(haveCert ? keyPath : certPath)} is missing (only half of the device certificate is there)";
        }
        Create(dir, certPath, keyPath, hostName ?? Dns.GetHostName(), setAsideFirst: problem is not null);
        var (made, madeChain) = Load(certPath, keyPath);
        return new LoadedCertificate(made, madeChain, certPath, keyPath, problem is null ? CertificateSource.Created : CertificateSource.Replaced, problem);
    }

    /// <summary>A PEM certificate (the leaf first, then any intermediates) and its PEM private key (PKCS#8,
    /// SEC1 EC or PKCS#1 RSA).</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) Load(string certPath, string keyPath)
    {
        var certPem = Read(certPath, "certificate");
        var keyPem = Read(keyPath, "private key");
        var all = new X509Certificate2Collection();
        try { all.ImportFromPem(certPem); }
        catch (CryptographicException e) { throw new DeviceCertificateException($"{certPath}: not a readable PEM certificate ({e.Message})", e); }
        if (all.Count == 0) throw new DeviceCertificateException($"{certPath}: no PEM certificate in the file (expected -----BEGIN CERTIFICATE-----)");
        X509Certificate2 cert;
        try { cert = X509Certificate2.CreateFromPem(certPem, keyPem); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new DeviceCertificateException($"{keyPath}: not a readable PEM private key for the certificate in {certPath} ({e.Message})", e);
        }
        if (!cert.HasPrivateKey) throw new DeviceCertificateException($"{keyPath}: holds no private key for {certPath}");
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) chain.Add(all[i]);
        return (cert, chain);
    }

    private static string Read(string path, string what)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeviceCertificateException($"{path}: cannot read the TLS {what} ({e.Message})", e);
        }
    }

    private static void SetAside(string certPath, string keyPath)
    {
        foreach (var path in new[] { certPath, keyPath })
            if (File.Exists(path)) File.Move(path, path + ".corrupt", overwrite: true);
    }

    private static void Create(string dir, string certPath, string keyPath, string hostName, bool setAsideFirst)
    {
        try
        {
            if (setAsideFirst) SetAside(certPath, keyPath);
            if (!Directory.Exists(dir)) Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var (cert, key) = SelfSignedCertificate.Create(hostName);
            using (cert)
            using (key)
            {
                // The key first, the certificate last: a certificate file means the pair is complete. Each
                // replaced atomically, so a power cut leaves the old file or the new one, never half.
                AtomicFile.Write(keyPath, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem()), KeyMode(dir));
                AtomicFile.Write(certPath, System.Text.Encoding.ASCII.GetBytes(cert.ExportCertificatePem()),
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DeviceCertificateException($"{dir}: cannot write the device certificate ({e.Message})", e);
        }
    }

    /// <summary>
    /// 0600, except in a set-group-ID directory: that is how a directory is shared on purpose (the image's
    /// /var/lib/appliance-tls is 2750 appliance:appliance-tls, so files made there belong to the group
    /// appliance-tls, of which MediaMTX is a member), and then the key is 0640 so that group can read it.
    /// </summary>
    public static UnixFileMode KeyMode(string dir)
    {
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return (File.GetUnixFileMode(dir) & UnixFileMode.SetGroup) != 0 ? owner | UnixFileMode.GroupRead : owner;
    }
}
