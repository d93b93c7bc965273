using Appliance.Security;
using Appliance.Tests.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.MediaOps;

/// <summary>take_snapshot and start_recording name a parameter they do not take (-32602) instead of
/// ignoring it, and still take every field the contract lists plus auth_token. Real host.</summary>
public class MediaParamsTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [TestCase("take_snapshot", """{"device":"/dev/video0","qualty":50}""", "qualty",
        "Invalid params: unknown parameter 'qualty' (take_snapshot takes device, filename, format, quality, max_width, max_height)")]
    [TestCase("start_recording", """{"device":"/dev/video0","durration":5}""", "durration",
        "Invalid params: unknown parameter 'durration' (start_recording takes device, duration, duration_seconds, duration_minutes, duration_hours, format, codec, quality)")]
    [TestCase("start_recording", """{"device":"/dev/video0","format":"mp4","codec":"h264","bitrate":"2M"}""", "bitrate",
        "Invalid params: unknown parameter 'bitrate' (start_recording takes device, duration, duration_seconds, duration_minutes, duration_hours, format, codec, quality)")]
    public async Task AnUnknownParameterIsNamed(string method, string parameters, string field, string message)
    {
        await using var client = await _host.ConnectAsync(Role.Operator);
        using var reply = await client.CallAsync(method, parameters);
        // Checked before the camera is looked up: the answer is about the request, not the device.
        Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, message, field)));
    }

    [TestCase("take_snapshot", """{"device":"/dev/video99","filename":"a","format":"png","quality":80,"max_width":320,"max_height":240,"auth_token":"TOKEN"}""")]
    [TestCase("start_recording", """{"device":"/dev/video99","duration":5,"format":"mkv","auth_token":"TOKEN"}""")]
    [TestCase("start_recording", """{"device":"/dev/video99","duration_minutes":1,"auth_token":"TOKEN"}""")]
    public async Task EveryContractFieldAndAuthTokenAreTaken(string method, string parameters)
    {
        await using var client = await _host.ConnectAsync(Role.Operator);
        using var reply = await client.CallAsync(method, parameters.Replace("TOKEN", _host.Token(Role.Operator)));
        // Past the parameter check: the (absent) camera is what the answer is about.
        Assert.That(RpcAssert.Error(reply).Code, Is.EqualTo(-32004), reply.RootElement.ToString());
    }
}
