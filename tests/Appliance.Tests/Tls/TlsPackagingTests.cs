using Appliance.Configuration;
using Appliance.Security.Tls;
using Appliance.Tests.Packaging;
using YamlDotNet.RepresentationModel;

namespace Appliance.Tests.Tls;

/// <summary>The image's TLS pieces agree: the shipped config's certificate directory is the one MediaMTX
/// reads, tmpfiles makes it group-shared with MediaMTX's user, and the first-boot unit makes the
/// certificate before both servers start.</summary>
public class TlsPackagingTests
{
    private static ApplianceConfig Shipped()
    {
        var loaded = ConfigLoader.LoadFile(PackagingFiles.Path("rootfs-overlay/etc/appliance/appliance.toml"),
            new Dictionary<string, string> { ["APPLIANCE_SECURITY_JWT_SECRET"] = new string('s', 48) });
        Assert.That(loaded.Problems, Is.Empty);
        return loaded.Config!;
    }

    private static string[][] ConfLines(string path) =>
        File.ReadAllLines(PackagingFiles.Path(path)).Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();

    [Test]
    public void TheImageServesTlsWithTheDeviceCertificateThatMediaMtxReadsToo()
    {
        var config = Shipped();
        Assert.That(config.Server.TlsPort, Is.EqualTo(8443));
        Assert.That(config.Server.PlainLoopbackOnly, Is.False, "the original clients' ws://HOST:8002 stays open");
        var dir = DeviceCertificate.DirectoryFor(config);

        var yaml = new YamlStream();
        using (var reader = new StreamReader(PackagingFiles.Path("rootfs-overlay/etc/mediamtx/mediamtx.yml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        string Key(string name) => ((YamlScalarNode)root.Children[new YamlScalarNode(name)]).Value!;
        Assert.That(Key("rtspEncryption"), Is.EqualTo("optional"), "RTSPS besides the plain RTSP our FFmpeg uses");
        foreach (var prefix in new[] { "rtsp", "hls", "webrtc" })
        {
            Assert.That(Key(prefix + "ServerKey"), Is.EqualTo(Path.Combine(dir, DeviceCertificate.KeyFileName)), prefix);
            Assert.That(Key(prefix + "ServerCert"), Is.EqualTo(Path.Combine(dir, DeviceCertificate.CertificateFileName)), prefix);
        }
    }

    [Test]
    public void TheKeyDirectoryIsSharedWithMediaMtxAndNobodyElse()
    {
        var dir = DeviceCertificate.DirectoryFor(Shipped());
        var entry = ConfLines("rootfs-overlay/usr/lib/tmpfiles.d/appliance.conf").Single(f => f[0] == "d" && f[1] == dir);
        var mode = Convert.ToInt32(entry[2], 8);
        Assert.That((mode & 0x400) != 0, Is.True, "set-group-ID, so the key is made 0640 with the directory's group");
        Assert.That(mode & 0b111, Is.EqualTo(0), "nothing for others");
        Assert.That((entry[3], entry[4]), Is.EqualTo(("appliance", "appliance-tls")));

        var users = ConfLines("rootfs-overlay/usr/lib/sysusers.d/appliance.conf");
        Assert.That(users.Any(f => f[0] == "g" && f[1] == "appliance-tls"), Is.True);
        Assert.That(users.Any(f => f[0] == "m" && f[1] == "mediamtx" && f[2] == "appliance-tls"), Is.True);
        var mediamtx = new UnitFile(PackagingFiles.Path("systemd/mediamtx.service"));
        Assert.That(mediamtx.Words("SupplementaryGroups"), Does.Contain("appliance-tls"));
        Assert.That(mediamtx.One("User"), Is.EqualTo("mediamtx"));
    }

    [Test]
    public void TheFirstBootUnitMakesTheCertificateBeforeBothServersStart()
    {
        var tls = new UnitFile(PackagingFiles.Path("systemd/appliance-tls.service"));
        var service = new UnitFile(PackagingFiles.Path("systemd/appliance.service"));
        var mediamtx = new UnitFile(PackagingFiles.Path("systemd/mediamtx.service"));
        Assert.That(tls.Words("Before", "Unit"), Is.SupersetOf(new[] { "mediamtx.service", "appliance.service" }));
        foreach (var unit in new[] { service, mediamtx })
        {
            Assert.That(unit.Words("Wants", "Unit"), Does.Contain("appliance-tls.service"));
            Assert.That(unit.Words("After", "Unit"), Does.Contain("appliance-tls.service"));
        }
        // Same user, same config (and so the same directory) as the service; allowed to write only there.
        Assert.That(tls.One("User"), Is.EqualTo(service.One("User")));
        var config = service.One("ExecStart")!.Split(' ').SkipWhile(w => w != "--config").ElementAt(1);
        Assert.That(tls.One("ExecStart"), Is.EqualTo($"/usr/bin/appliance --print-certificate-fingerprint --config {config}"));
        Assert.That(tls.Words("ReadWritePaths").Select(p => p.TrimStart('-')), Is.EqualTo(new[] { DeviceCertificate.DirectoryFor(Shipped()) }));
        Assert.That(service.Words("ReadWritePaths").Select(p => p.TrimStart('-')), Does.Contain(DeviceCertificate.DirectoryFor(Shipped())));
    }
}
