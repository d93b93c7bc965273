using Appliance.Configuration;

namespace Appliance.Tests.Tls;

/// <summary>The [server] TLS keys: defaults that leave TLS off, and the combinations refused.</summary>
public class TlsConfigTests
{
    private static ConfigLoadResult Load(string server) =>
        ConfigLoader.Load($"[server]\nenvironment = \"development\"\n{server}\n", "/etc/appliance/test.toml", new Dictionary<string, string>());

    private static IEnumerable<string> ProblemKeys(string server) => Load(server).Problems.Select(p => p.Key);

    [Test]
    public void TlsIsOffUnlessAPortIsSet()
    {
        var s = Load("").Config!.Server;
        Assert.That((s.TlsPort, s.TlsCertificate, s.TlsKey, s.TlsDirectory, s.PlainLoopbackOnly), Is.EqualTo((0, "", "", "", false)));
    }

    [Test]
    public void RelativeCertificatePathsAreRelativeToTheConfigFile()
    {
        var s = Load("tls_port = 8443\ntls_certificate = \"tls/a.crt\"\ntls_key = \"tls/a.key\"\ntls_directory = \"own\"").Config!.Server;
        Assert.That((s.TlsCertificate, s.TlsKey, s.TlsDirectory), Is.EqualTo(("/etc/appliance/tls/a.crt", "/etc/appliance/tls/a.key", "/etc/appliance/own")));
    }

    [Test]
    public void ImpossibleCombinationsAreProblems()
    {
        Assert.That(ProblemKeys("tls_port = 8443"), Is.Empty);
        Assert.That(ProblemKeys("tls_port = 8002"), Is.EqualTo(new[] { "server.tls_port" }), "same as server.port");
        Assert.That(ProblemKeys("tls_port = 70000"), Is.EqualTo(new[] { "server.tls_port" }));
        Assert.That(ProblemKeys("tls_port = 8443\ntls_certificate = \"/x.crt\""), Is.EqualTo(new[] { "server.tls_key" }), "a certificate without its key");
        Assert.That(ProblemKeys("tls_port = 8443\ntls_key = \"/x.key\""), Is.EqualTo(new[] { "server.tls_key" }));
        Assert.That(ProblemKeys("plain_loopback_only = true"), Is.EqualTo(new[] { "server.plain_loopback_only" }), "nothing left on the network");
        Assert.That(ProblemKeys("plain_loopback_only = true\ntls_port = 8443"), Is.Empty);
    }

    [Test]
    public void TheKeysCanBeSetFromTheEnvironment()
    {
        var loaded = ConfigLoader.Load("[server]\nenvironment = \"development\"\n", "/etc/appliance/test.toml",
            new Dictionary<string, string> { ["APPLIANCE_SERVER_TLS_PORT"] = "9443", ["APPLIANCE_SERVER_PLAIN_LOOPBACK_ONLY"] = "true" });
        Assert.That(loaded.Problems, Is.Empty);
        Assert.That((loaded.Config!.Server.TlsPort, loaded.Config.Server.PlainLoopbackOnly), Is.EqualTo((9443, true)));
    }
}
