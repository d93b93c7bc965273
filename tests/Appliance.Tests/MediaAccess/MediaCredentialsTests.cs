using Appliance.Configuration;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.MediaAccess;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;

namespace Appliance.Tests.MediaAccess;

public class MediaCredentialsTests
{
    [Test]
    public void EachStartMakesDifferentRandomCredentials()
    {
        var a = MediaCredentials.Generate(new MediaMtxSection());
        var b = MediaCredentials.Generate(new MediaMtxSection());
        string[] secrets = [a.InternalRead.Password, a.Publish.Password, a.Api.Password, b.InternalRead.Password, b.Publish.Password, b.Api.Password];
        Assert.That(secrets.Distinct().Count(), Is.EqualTo(6));
        Assert.That(secrets, Has.All.Matches<string>(s => s!.Length == 64 && s.All(char.IsAsciiHexDigitLower)));
    }

    [Test]
    public void TheApiCredentialComesFromTheConfigWhenSet()
    {
        var api = MediaCredentials.Generate(new MediaMtxSection { ApiUsername = "mtx", ApiPassword = "pw" }).Api;
        Assert.That(api.Matches("mtx", "pw"), Is.True);
        Assert.That(api.Matches("mtx", "pw2"), Is.False);
        Assert.That(api.Matches("mtx2", "pw"), Is.False);
        Assert.That(api.Matches(null, null), Is.False);
        Assert.That(api.ToString(), Does.Not.Contain("pw"));
    }

    [Test]
    public void TheInternalUrlCarriesTheCredentialAndLogsDoNot()
    {
        var config = new ApplianceConfig();
        config.Mediamtx.RtspPort = 8555;
        var url = InternalRtspUrl.For(config, "camera0", new MediaCredential("appliance-read", "abc123"));
        Assert.That(url, Is.EqualTo("rtsp://appliance-read:abc123@127.0.0.1:8555/camera0"));
        var line = $"ffmpeg -rtsp_transport tcp -i {url} -f mp4 out.mp4";
        Assert.That(UrlCredentialRedaction.Redact(line), Is.EqualTo("ffmpeg -rtsp_transport tcp -i rtsp://***@127.0.0.1:8555/camera0 -f mp4 out.mp4"));
        Assert.That(UrlCredentialRedaction.Redact("[rtsp @ 0x5555] method DESCRIBE failed: 401 " + url + ": Server returned 401"), Does.Not.Contain("abc123"));
        Assert.That(UrlCredentialRedaction.Redact("user@example.com wrote -i rtsp://127.0.0.1/x"), Is.EqualTo("user@example.com wrote -i rtsp://127.0.0.1/x"));
    }

    [Test]
    public void FfmpegsStderrIsRedactedBeforeAnyoneReadsIt()
    {
        var tail = new StderrTail();
        tail.Append("rtsp://appliance-read:abc123@127.0.0.1:8554/camera0: Server returned 404 Not Found\n"u8);
        Assert.That(tail.ToString(), Is.EqualTo("rtsp://***@127.0.0.1:8554/camera0: Server returned 404 Not Found"));
    }

    [TestCase("token=abc", "abc")]
    [TestCase("a=1&token=a%2Bb&c=2", "a+b")]
    [TestCase("tokens=abc", null)]
    [TestCase("token=", null)]
    [TestCase("", null)]
    public void TheQueryTokenIsFound(string query, string? expected) =>
        Assert.That(MediaAccessPolicy.QueryToken(query), Is.EqualTo(expected));
}
