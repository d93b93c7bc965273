using System.Diagnostics;
using System.Security.Authentication;
using Appliance.Tests.Support;

namespace Appliance.Tests.Tls;

/// <summary>`appliance --print-certificate-fingerprint`, the real program run as a child process (as a
/// technician, or the first-boot unit appliance-tls.service, runs it).</summary>
public class FingerprintCommandTests
{
    private const string Secret = "cli-test-secret-0123456789abcdef0123456789";

    private static (int Code, string Out, string Err) Run(params string[] args) => ApplianceCli.Run(args);

    [Test]
    public async Task ThePrintedFingerprintIsTheOneTheServicePresents()
    {
        using var dir = new TestDirectory();
        var config = dir.Write("appliance.toml", $"[server]\nenvironment = \"production\"\n[security]\njwt_secret = \"{Secret}\"\n[storage]\nstate_dir = \"state\"\n");

        var (code, output, err) = Run("--print-certificate-fingerprint", "--config", config);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.StartWith("created certificate " + dir.File("state/tls/device.crt")));
        var lines = output.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.Match("^sha256 Fingerprint=([0-9A-F]{2}:){31}[0-9A-F]{2}$"));
        Assert.That(lines[1], Does.Match("^pin-sha256=[A-Za-z0-9+/]{43}=$"));
        var fingerprint = lines[0]["sha256 Fingerprint=".Length..];

        var again = Run("--print-certificate-fingerprint", "--config", config);
        Assert.That((again.Code, again.Out), Is.EqualTo((0, output)));
        Assert.That(again.Err, Does.StartWith("existing certificate"));

        // The service with the same state directory serves that certificate.
        await using var host = await RunningHost.StartAsync(serverExtra: $"tls_port = 8443\ntls_directory = \"{dir.File("state/tls")}\"");
        Assert.That(await HttpsListenerTests.PresentedAsync(host.Host.TlsAddress!.Port, SslProtocols.None), Is.EqualTo(fingerprint));
    }

    [Test]
    public void AnUnreadableProvidedCertificateExitsOneNamingTheFile()
    {
        using var dir = new TestDirectory();
        var cert = dir.Write("broken.crt", "not a certificate");
        var key = dir.Write("broken.key", "not a key");
        var config = dir.Write("appliance.toml",
            $"[server]\nenvironment = \"production\"\ntls_certificate = \"{cert}\"\ntls_key = \"{key}\"\n[security]\njwt_secret = \"{Secret}\"\n");
        var (code, output, err) = Run("--print-certificate-fingerprint", "--config", config);
        Assert.That((code, output), Is.EqualTo((1, "")));
        Assert.That(err, Does.StartWith($"appliance: {cert}: "));
    }
}
