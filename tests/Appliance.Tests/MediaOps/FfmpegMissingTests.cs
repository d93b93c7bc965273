using Appliance.Security;
using Appliance.Tests.Cameras;
using Appliance.Tests.Support;

namespace Appliance.Tests.MediaOps;

/// <summary>An appliance whose FFmpeg is missing answers clearly instead of failing obscurely.</summary>
public class FfmpegMissingTests
{
    [Test]
    public async Task SnapshotsAndRecordingsSayFfmpegIsMissing()
    {
        await using var host = await RunningHost.StartAsync(
            extraToml: "[ffmpeg]\npath = \"/nonexistent/ffmpeg\"\n[[camera.virtual]]\nname = \"Demo\"\n",
            probe: FakeCameras.Probe(),
            prepare: d => { Directory.CreateDirectory(d.File("dev")); File.WriteAllText(d.File("dev/video0"), "cam"); });
        await using var client = await host.ConnectAsync(Role.Operator);

        using (var list = await client.CallAsync("get_camera_list"))
        {
            var virtualCam = list.RootElement.GetProperty("result").GetProperty("cameras").EnumerateArray().Single(c => c.GetProperty("device").GetString() == "virtual0");
            Assert.That(virtualCam.GetProperty("status").GetString(), Is.EqualTo("ERROR"), "a test-pattern camera needs FFmpeg");
        }
        using (var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}"""))
        {
            var error = snap.RootElement.GetProperty("error");
            Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32004));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("not found"));
        }
        using (var snap = await client.CallAsync("take_snapshot", """{"device":"camera0"}"""))
        {
            var r = snap.RootElement.GetProperty("result");
            Assert.That((r.GetProperty("status").GetString(), r.GetProperty("success").GetBoolean()), Is.EqualTo(("FAILED", false)));
            Assert.That(r.GetProperty("error").GetString(), Does.Contain("/nonexistent/ffmpeg"));
        }
        Assert.That(Directory.Exists(Path.Combine(host.DataDir, "snapshots")) ? Directory.GetFiles(Path.Combine(host.DataDir, "snapshots")) : [], Is.Empty);
        using var ping = await client.CallAsync("ping");
        Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }
}
