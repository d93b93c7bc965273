using Appliance.Configuration;
using Appliance.MediaMtx.Streams;
using Appliance.Tests.Packaging;
using YamlDotNet.RepresentationModel;

namespace Appliance.Tests.MediaMtx;

/// <summary>HLS and WebRTC over HTTPS: MediaMTX serves one scheme per port, so the service's
/// mediamtx.media_tls and mediamtx.yml's hlsEncryption/webrtcEncryption must agree, and the URLs
/// handed to clients follow them.</summary>
public class MediaTlsTests
{
    [Test]
    public void TheImageServesHlsAndWebrtcOverHttpsAndSaysSoInItsUrls()
    {
        var env = new Dictionary<string, string> { ["APPLIANCE_SECURITY_JWT_SECRET"] = new string('k', 48) };
        var loaded = ConfigLoader.LoadFile(PackagingFiles.Path("rootfs-overlay/etc/appliance/appliance.toml"), env);
        Assert.That(loaded.Problems, Is.Empty);
        var yaml = new YamlStream();
        using (var reader = new StreamReader(PackagingFiles.Path("rootfs-overlay/etc/mediamtx/mediamtx.yml"))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        bool Flag(string key) => ((YamlScalarNode)root.Children[new YamlScalarNode(key)]).Value is "true" or "yes";

        Assert.That(loaded.Config!.Mediamtx.MediaTls, Is.True);
        Assert.That((Flag("hlsEncryption"), Flag("webrtcEncryption")), Is.EqualTo((loaded.Config.Mediamtx.MediaTls, loaded.Config.Mediamtx.MediaTls)));
        var urls = StreamUrls.For("camera0", "10.0.0.5", loaded.Config);
        Assert.That((urls.Hls, urls.Webrtc, urls.Rtsp), Is.EqualTo(("https://10.0.0.5:8888/camera0", "https://10.0.0.5:8889/camera0/webrtc", "rtsp://10.0.0.5:8554/camera0")));
    }

    [Test]
    public void WithoutMediaTlsTheUrlsAreTheContractsPlainOnes()
    {
        var urls = StreamUrls.For("camera0", "10.0.0.5", new ApplianceConfig());
        Assert.That((urls.Hls, urls.Webrtc), Is.EqualTo(("http://10.0.0.5:8888/camera0", "http://10.0.0.5:8889/camera0/webrtc")));
    }
}
