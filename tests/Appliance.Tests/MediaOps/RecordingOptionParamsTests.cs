using Appliance.Security;
using Appliance.Tests.Media.Encoders;
using Appliance.Tests.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.MediaOps;

/// <summary>
/// start_recording's codec, quality and format through the real RPC, and get_server_info's encoders
/// and formats: with this machine's FFmpeg, and with a stand-in FFmpeg for a box without x265.
/// The options are judged before the camera: an absent device still gets the option's error.
/// </summary>
public class RecordingOptionParamsTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [TestCase("""{"device":"/dev/video9","quality":"high"}""", "quality",
        "Invalid params: 'quality' applies only when transcoding (codec h264 or h265); codec 'copy' stores the camera's stream as it is")]
    [TestCase("""{"device":"/dev/video9","codec":"copy","quality":"2M"}""", "quality",
        "Invalid params: 'quality' applies only when transcoding (codec h264 or h265); codec 'copy' stores the camera's stream as it is")]
    [TestCase("""{"device":"/dev/video9","codec":"vp9"}""", "codec", "Invalid params: 'codec' must be one of copy, h264, h265")]
    [TestCase("""{"device":"/dev/video9","codec":264}""", "codec", "Invalid params: 'codec' must be a string")]
    [TestCase("""{"device":"/dev/video9","codec":"h264","quality":"10G"}""", "quality",
        "Invalid params: 'quality' must be low, medium, high, a bitrate from 100k to 50M (\"800k\", \"2M\") or \"crf:<0..51>\", not \"10G\"")]
    [TestCase("""{"device":"/dev/video9","codec":"h264","quality":"20k"}""", "quality", "Invalid params: 'quality' \"20k\": the bitrate must be from 100k to 50M")]
    [TestCase("""{"device":"/dev/video9","codec":"h265","quality":"crf:60"}""", "quality", "Invalid params: 'quality' \"crf:60\": the CRF must be from 0 to 51")]
    [TestCase("""{"device":"/dev/video9","codec":"h264","quality":5}""", "quality", "Invalid params: 'quality' must be a string")]
    [TestCase("""{"device":"/dev/video9","format":"avi"}""", "format", "Invalid params: 'format' must be one of mp4, fmp4, mkv, ts")]
    public async Task AWrongOptionIsNamedBeforeTheCameraIsLookedUp(string parameters, string field, string message)
    {
        await using var client = await _host.ConnectAsync(Role.Operator);
        using var reply = await client.CallAsync("start_recording", parameters);
        Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, message, field)));
    }

    [TestCase("""{"device":"/dev/video9","codec":"h264","quality":"crf:18","format":"ts","duration":5}""")]
    [TestCase("""{"device":"/dev/video9","codec":"h265","quality":"50M","format":"fmp4"}""")]
    [TestCase("""{"device":"/dev/video9","codec":"copy","format":"mkv"}""")]
    public async Task GoodOptionsGetPastTheChecksToTheCamera(string parameters)
    {
        await using var client = await _host.ConnectAsync(Role.Operator);
        using var reply = await client.CallAsync("start_recording", parameters);
        Assert.That(RpcAssert.Error(reply).Code, Is.EqualTo(-32004), reply.RootElement.ToString());
    }

    [Test]
    public async Task ServerInfoListsTheEncodersThatReallyWorkHereAndTheProbedFormats()
    {
        await using var client = await _host.ConnectAsync(Role.Admin);
        using var reply = await client.CallAsync("get_server_info");
        var r = RpcAssert.Result(reply);
        Assert.That(r.GetProperty("encoders").ToString(), Is.EqualTo(
            """[{"codec":"h264","encoder":"libx264","hardware":false},{"codec":"h265","encoder":"libx265","hardware":false}]"""),
            "h264_v4l2m2m is listed by `ffmpeg -encoders` here but has no device");
        Assert.That(r.GetProperty("supported_formats").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "mp4", "mkv", "ts", "jpg", "png" }));
        Assert.That(r.GetProperty("encoders_probed").GetBoolean(), Is.True);
    }
}

/// <summary>A box whose FFmpeg has no HEVC encoder (no x265, no V4L2 device): h265 is -32008 naming codec.</summary>
public class RecordingOptionUnsupportedTests
{
    [Test]
    public async Task ACodecTheBoxCannotEncodeIsNotSupportedNamingCodecAndWhatItCanDo()
    {
        using var scripts = new TestDirectory();
        var fake = new FakeFfmpeg(scripts, new Dictionary<string, FakeEncoder>
        {
            ["h264_v4l2m2m"] = FakeEncoder.NoDevice, ["hevc_v4l2m2m"] = FakeEncoder.NoDevice, ["libx265"] = FakeEncoder.Unknown,
        });
        await using var host = await RunningHost.StartAsync(extraToml: $"[ffmpeg]\npath = {RpcAssert.Quote(fake.Path)}\n");
        await using var client = await host.ConnectAsync(Role.Admin);

        using (var reply = await client.CallAsync("start_recording", """{"device":"/dev/video9","codec":"h265","quality":"low"}"""))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32008,
                "this box cannot encode h265: no working encoder (tried hevc_v4l2m2m, libx265). It can record with codec copy, h264", "codec")));
        using (var reply = await client.CallAsync("start_recording", """{"device":"/dev/video9","codec":"h264"}"""))
            Assert.That(RpcAssert.Error(reply).Code, Is.EqualTo(-32004), "h264 is there: on to the camera");
        using (var info = await client.CallAsync("get_server_info"))
            Assert.That(RpcAssert.Result(info).GetProperty("encoders").ToString(), Is.EqualTo("""[{"codec":"h264","encoder":"libx264","hardware":false}]"""));
        Assert.That(fake.Calls.Count(c => c.Contains("testsrc=size=64x64")), Is.EqualTo(5), "probed once, at start: 4 encoders, then the containers and image formats together");
    }
}
