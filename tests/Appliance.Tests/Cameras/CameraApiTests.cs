using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Cameras;

/// <summary>The camera API and hot-plug over real WebSocket connections to the real host. Device
/// nodes are plain files in a temp dev directory (inotify sees them like devtmpfs nodes); the
/// probe is the documented stand-in (FakeCameras). The real ioctl path runs in the VM tests.</summary>
public class CameraApiTests
{
    private static JsonElement Result(JsonDocument d) => d.RootElement.GetProperty("result");

    private static Task<RunningHost> Start(ConcurrentQueue<string>? probes = null, string extra = "", params string[] nodes) =>
        RunningHost.StartAsync(extraToml: extra, probe: FakeCameras.Probe(d => probes?.Enqueue(d)), prepare: dir =>
        {
            Directory.CreateDirectory(dir.File("dev"));
            foreach (var n in nodes) File.WriteAllText(dir.File("dev/" + n.Split('=')[0]), n.Contains('=') ? n.Split('=')[1] : "");
        });

    [Test]
    public async Task ListShowsCapturingNodesInRangeWithContractFields()
    {
        await using var host = await Start(null, "[camera]\ndevice_range = [0, 3]\n", "video0=camA", "video1=meta", "video2=denied", "video7=camB");
        await using var client = await host.ConnectAsync(Role.Viewer);
        using var reply = await client.CallAsync("get_camera_list");
        var r = Result(reply);
        var cameras = r.GetProperty("cameras").EnumerateArray().ToList();
        Assert.That(cameras.Select(c => c.GetProperty("device").GetString()), Is.EqualTo(new[] { host.DevDir + "/video0", host.DevDir + "/video2" }),
            "the metadata node and the out-of-range node are not cameras");
        Assert.That((r.GetProperty("total").GetInt32(), r.GetProperty("connected").GetInt32()), Is.EqualTo((2, 1)));

        var cam = cameras[0];
        Assert.That(cam.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "device", "status", "name", "resolution", "fps", "streams", "device_path", "recording" }));
        Assert.That((cam.GetProperty("status").GetString(), cam.GetProperty("resolution").GetString(), cam.GetProperty("fps").GetInt32()),
            Is.EqualTo(("CONNECTED", "1920x1080", 30)));
        Assert.That(cam.GetProperty("device_path").GetString(), Is.EqualTo(cam.GetProperty("device").GetString()));
        var streams = cam.GetProperty("streams");
        Assert.That(streams.GetProperty("rtsp").GetString(), Is.EqualTo("rtsp://127.0.0.1:8554/camera0"));
        Assert.That(streams.GetProperty("webrtc").GetString(), Is.EqualTo("http://127.0.0.1:8889/camera0/webrtc"));
        Assert.That(streams.GetProperty("hls").GetString(), Is.EqualTo("http://127.0.0.1:8888/camera0"));

        Assert.That(cameras[1].GetProperty("status").GetString(), Is.EqualTo("ERROR"));
        Assert.That(cameras[1].GetProperty("streams").EnumerateObject(), Is.Empty, "streams is {} unless CONNECTED");
    }

    [Test]
    public async Task StreamUrlsUseTheHostTheClientUsedOrTheConfiguredOne()
    {
        await using (var host = await Start(null, "", "video0=camA"))
        await using (var viaName = await RpcTestClient.ConnectAsync(new Uri($"ws://localhost:{host.HttpUri.Port}/ws")))
        {
            (await viaName.CallAsync("authenticate", $$"""{"auth_token":"{{host.Token(Role.Viewer)}}"}""")).Dispose();
            using var reply = await viaName.CallAsync("get_camera_list");
            var rtsp = Result(reply).GetProperty("cameras")[0].GetProperty("streams").GetProperty("rtsp").GetString();
            Assert.That(rtsp, Is.EqualTo("rtsp://localhost:8554/camera0"));
        }
        await using (var host = await RunningHost.StartAsync(serverExtra: "public_host = \"cam-17.site.example\"", probe: FakeCameras.Probe(),
            prepare: d => { Directory.CreateDirectory(d.File("dev")); File.WriteAllText(d.File("dev/video0"), "x"); }))
        await using (var client = await host.ConnectAsync(Role.Viewer))
        {
            using var reply = await client.CallAsync("get_camera_list");
            Assert.That(Result(reply).GetProperty("cameras")[0].GetProperty("streams").GetProperty("hls").GetString(),
                Is.EqualTo("http://cam-17.site.example:8888/camera0"));
        }
    }

    [Test]
    public async Task StatusAndCapabilitiesOfOneCamera()
    {
        await using var host = await Start(null, "", "video0=camA");
        await using var client = await host.ConnectAsync(Role.Viewer);
        var device = host.DevDir + "/video0";
        using var status = await client.CallAsync("get_camera_status", $$"""{"device":"{{device}}"}""");
        var s = Result(status);
        Assert.That(s.GetProperty("status").GetString(), Is.EqualTo("CONNECTED"));
        Assert.That(s.GetProperty("metrics").GetProperty("uptime").GetDouble(), Is.GreaterThanOrEqualTo(0));
        Assert.That(s.GetProperty("metrics").TryGetProperty("bytes_sent", out _) && s.GetProperty("metrics").TryGetProperty("readers", out _), Is.True);
        Assert.That(s.GetProperty("capabilities").GetProperty("formats").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(new[] { "MJPEG", "YUYV" }));
        Assert.That(s.GetProperty("capabilities").GetProperty("resolutions").EnumerateArray().Select(f => f.GetString()),
            Is.EqualTo(new[] { "1920x1080", "1280x720", "640x480" }));

        using var caps = await client.CallAsync("get_camera_capabilities", """{"device":"camera0"}""");
        var c = Result(caps);
        Assert.That(c.GetProperty("device").GetString(), Is.EqualTo(device), "a logical id is answered with the device path");
        Assert.That(c.GetProperty("fps_options").EnumerateArray().Select(f => f.GetInt32()), Is.EqualTo(new[] { 60, 30, 15 }));
        Assert.That(c.GetProperty("validation_status").GetString(), Is.EqualTo("confirmed"));
    }

    [TestCase("get_camera_status")]
    [TestCase("get_camera_capabilities")]
    public async Task UnknownCameraIsMinus32004AndMissingDeviceIsMinus32602(string method)
    {
        await using var host = await Start(null, "", "video0=camA");
        await using var client = await host.ConnectAsync(Role.Viewer);
        using var unknown = await client.CallAsync(method, """{"device":"/dev/video9"}""");
        Assert.That(unknown.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        using var traversal = await client.CallAsync(method, """{"device":"../../etc/passwd"}""");
        Assert.That(traversal.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        using var missing = await client.CallAsync(method, "{}");
        Assert.That(missing.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("device"));
    }

    [Test]
    public async Task VirtualCameraFromConfigIsListedWithItsOwnPath()
    {
        await using var host = await Start(null, "[[camera.virtual]]\nname = \"Demo\"\nresolution = \"640x360\"\nfps = 15\npattern = \"smptebars\"\n");
        await using var client = await host.ConnectAsync(Role.Viewer);
        using var reply = await client.CallAsync("get_camera_list");
        var cam = Result(reply).GetProperty("cameras").EnumerateArray().Single();
        Assert.That((cam.GetProperty("device").GetString(), cam.GetProperty("name").GetString(), cam.GetProperty("resolution").GetString(), cam.GetProperty("fps").GetInt32()),
            Is.EqualTo(("virtual0", "Demo", "640x360", 15)));
        Assert.That(cam.GetProperty("status").GetString(), Is.EqualTo("CONNECTED"), "FFmpeg is installed here, so the test pattern can run");
        Assert.That(cam.GetProperty("streams").GetProperty("rtsp").GetString(), Does.EndWith(":8554/virtual0"));

        // The wire as it has always been: FFmpeg's "lavfi" is the one format a test pattern lists.
        using var caps = await client.CallAsync("get_camera_capabilities", """{"device":"virtual0"}""");
        Assert.That(Result(caps).GetRawText(), Is.EqualTo("""{"device":"virtual0","formats":["lavfi"],"resolutions":["640x360"],"fps_options":[15],"validation_status":"confirmed"}"""));
        using var status = await client.CallAsync("get_camera_status", """{"device":"virtual0"}""");
        Assert.That(Result(status).GetProperty("capabilities").GetRawText(), Is.EqualTo("""{"formats":["lavfi"],"resolutions":["640x360"]}"""));
    }

    [Test]
    public async Task HotPlugIsNoticedWithin500MsAndClientsAreNotified()
    {
        await using var host = await Start(null, "[camera]\nhotplug_debounce_ms = 100\n");
        await using var client = await host.ConnectAsync(Role.Viewer);
        await using var anonymous = await host.ConnectAsync();
        var device = host.DevDir + "/video3";

        var sw = Stopwatch.StartNew();
        File.WriteAllText(device, "camC");
        var connected = await NextNotification(client, "CONNECTED");
        var addLatency = sw.Elapsed;
        Assert.That(connected.GetProperty("device").GetString(), Is.EqualTo(device));
        Assert.That(connected.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "device", "status", "name", "resolution", "fps", "streams", "device_path" }));
        Assert.That(connected.GetProperty("streams").GetProperty("rtsp").GetString(), Is.EqualTo("rtsp://127.0.0.1:8554/camera3"));

        sw.Restart();
        File.Delete(device);
        var gone = await NextNotification(client, "DISCONNECTED");
        var removeLatency = sw.Elapsed;
        Assert.That(gone.GetProperty("streams").EnumerateObject(), Is.Empty);
        Assert.That(addLatency, Is.LessThan(TimeSpan.FromMilliseconds(500)));
        Assert.That(removeLatency, Is.LessThan(TimeSpan.FromMilliseconds(500)));
        Assert.That(anonymous.Notifications, Is.Empty, "unauthenticated connections get no camera notifications");

        using var status = await client.CallAsync("get_camera_status", $$"""{"device":"{{device}}"}""");
        Assert.That(Result(status).GetProperty("status").GetString(), Is.EqualTo("DISCONNECTED"));
    }

    [Test]
    public async Task ABurstOfNodeEventsIsOneRescanAndTheSameCameraOnANewNodeIsRecognised()
    {
        var probes = new ConcurrentQueue<string>();
        await using var host = await Start(probes, "[camera]\nhotplug_debounce_ms = 150\n", "video0=camA");
        await using var client = await host.ConnectAsync(Role.Viewer);
        probes.Clear();

        // A UVC camera brings a capture node and a metadata node at once; then it is re-plugged onto other numbers.
        File.WriteAllText(host.DevDir + "/video4", "camD");
        File.WriteAllText(host.DevDir + "/video5", "meta");
        await NextNotification(client, "CONNECTED");
        await Task.Delay(400);
        Assert.That(probes.OrderBy(p => p), Is.EqualTo(new[] { host.DevDir + "/video4", host.DevDir + "/video5" }), "one probe per new node, nothing re-probed");

        File.Delete(host.DevDir + "/video4");
        File.Delete(host.DevDir + "/video5");
        await NextNotification(client, "DISCONNECTED");
        File.WriteAllText(host.DevDir + "/video6", "camD");
        var back = await NextNotification(client, "CONNECTED");
        Assert.That(back.GetProperty("device").GetString(), Is.EqualTo(host.DevDir + "/video6"));

        using var list = await client.CallAsync("get_camera_list");
        var devices = Result(list).GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("device").GetString());
        Assert.That(devices, Is.EqualTo(new[] { host.DevDir + "/video0", host.DevDir + "/video6" }), "the old entry of the re-plugged camera is gone");
    }

    private static async Task<JsonElement> NextNotification(RpcTestClient client, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            while (client.Notifications.TryDequeue(out var doc))
            {
                Assert.That(doc.RootElement.GetProperty("method").GetString(), Is.EqualTo("camera_status_update"));
                Assert.That(doc.RootElement.TryGetProperty("id", out _), Is.False, "a notification has no id member");
                var p = doc.RootElement.GetProperty("params");
                if (p.GetProperty("status").GetString() == status) return p.Clone();
            }
            await Task.Delay(5);
        }
        Assert.Fail($"no camera_status_update with status {status}");
        return default;
    }
}
