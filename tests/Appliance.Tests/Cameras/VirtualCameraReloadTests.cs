using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.MediaOps;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.Cameras;

/// <summary><c>[[camera.virtual]]</c> is a live key: editing the real host's config file adds, changes
/// and removes test-pattern cameras like a hot-plug — clients are notified, the MediaMTX stand-in's
/// paths follow, and a recording on a removed camera ends as camera_lost.</summary>
[NonParallelizable]
public class VirtualCameraReloadTests
{
    private const string Second = """

        [[camera.virtual]]
        name = "Second"
        resolution = "640x360"
        fps = 10
        pattern = "smptebars"
        """;

    private MediaMtxFixture _f = null!;

    [SetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(30) });
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "the virtual camera's path exists");
    }

    [TearDown]
    public async Task Stop() => await _f.DisposeAsync();

    // The fixture's config holds exactly one [[camera.virtual]] table (virtual0, "Demo").
    private void EditConfig(Func<string, string> edit)
    {
        var path = _f.Host.ConfigPath;
        var text = File.ReadAllText(path);
        var edited = edit(text);
        Assert.That(edited, Is.Not.EqualTo(text), "the edit changes the file");
        File.WriteAllText(path, edited);
        _f.Host.Host.Config.Reload(); // the file watcher reloads too; a second reload of the same file changes nothing
    }

    private static string WithoutVirtualCameras(string toml)
    {
        var start = toml.IndexOf("[[camera.virtual]]", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0));
        var end = toml.IndexOf("\n[", start + 1, StringComparison.Ordinal);
        return toml[..start] + (end < 0 ? "" : toml[(end + 1)..]);
    }

    private static async Task<JsonElement> CameraUpdate(RpcTestClient client, string device, string status, double seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            while (client.Notifications.TryDequeue(out var doc))
            {
                if (doc.RootElement.GetProperty("method").GetString() != "camera_status_update") continue;
                var p = doc.RootElement.GetProperty("params");
                if (p.GetProperty("device").GetString() == device && p.GetProperty("status").GetString() == status) return p.Clone();
            }
            await Task.Delay(20);
        }
        Assert.Fail($"no camera_status_update {status} for {device}");
        return default;
    }

    private static Task<JsonElement> RecordingUpdate(RpcTestClient client, string status, double seconds = 20) =>
        client.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == status, seconds);

    private async Task<List<(string Device, string Status, string Name)>> CameraList(RpcTestClient client)
    {
        using var reply = await client.CallAsync("get_camera_list");
        return [.. reply.RootElement.GetProperty("result").GetProperty("cameras").EnumerateArray()
            .Select(c => (c.GetProperty("device").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("name").GetString()!))];
    }

    [Test]
    public async Task AddingAVirtualCameraToTheFileIsAHotPlugWithItsOwnPath()
    {
        await using var client = await _f.ConnectAsync(Role.Viewer);
        EditConfig(toml => toml + Second);

        var connected = await CameraUpdate(client, "virtual1", "CONNECTED");
        Assert.That((connected.GetProperty("name").GetString(), connected.GetProperty("resolution").GetString(), connected.GetProperty("fps").GetInt32()),
            Is.EqualTo(("Second", "640x360", 10)));
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual1") is not null, "the reconciler added virtual1's path");
        Assert.That(await CameraList(client), Is.EqualTo(new[] { ("virtual0", "CONNECTED", "Demo"), ("virtual1", "CONNECTED", "Second") }));
        Assert.That(_f.Host.Host.Config.PendingRestart, Does.Not.Contain("camera.virtual"), "applied live, no restart needed");

        // A changed entry is replaced in place: clients see the new name, MediaMTX's publisher command follows.
        var before = _f.StandIn.GetPathConf("virtual1")!["runOnDemand"]!.GetValue<string>();
        EditConfig(toml => toml.Replace("resolution = \"640x360\"", "resolution = \"320x180\"").Replace("name = \"Second\"", "name = \"Renamed\""));
        var changed = await CameraUpdate(client, "virtual1", "CONNECTED");
        Assert.That((changed.GetProperty("name").GetString(), changed.GetProperty("resolution").GetString()), Is.EqualTo(("Renamed", "320x180")));
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual1")?["runOnDemand"]?.GetValue<string>() is { } now && now != before && now.Contains("320x180"),
            "the reconciler patched virtual1's publisher to the new size");
    }

    [Test]
    public async Task RemovingAVirtualCameraIsAnUnplugItsPathGoesAndItsRecordingEndsAsCameraLost()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        using (var start = await client.CallAsync("start_recording", """{"device":"virtual0"}"""))
            Assert.That(start.RootElement.GetProperty("result").GetProperty("status").GetString(), Is.EqualTo("STARTED"), start.RootElement.ToString());
        await RecordingUpdate(client, "STARTED");
        await Task.Delay(1500);

        EditConfig(WithoutVirtualCameras);

        var gone = await CameraUpdate(client, "virtual0", "DISCONNECTED");
        Assert.That(gone.GetProperty("streams").EnumerateObject(), Is.Empty, "a disconnected camera has no streams");
        var failed = await RecordingUpdate(client, "FAILED");
        Assert.That(failed.GetProperty("device").GetString(), Is.EqualTo("virtual0"));
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is null, "the reconciler removed virtual0's path");
        Assert.That(await CameraList(client), Is.EqualTo(new[] { ("virtual0", "DISCONNECTED", "Demo") }), "listed as unplugged, like a USB camera");

        var file = Directory.GetFiles(Path.Combine(_f.Host.DataDir, "recordings"), "virtual0_*.mp4").Single();
        using (var info = await client.CallAsync("get_recording_info", $$"""{"filename":"{{Path.GetFileName(file)}}"}"""))
            Assert.That(info.RootElement.GetProperty("result").GetProperty("reason").GetString(), Is.EqualTo("camera_lost"));
        Assert.That(MediaProbe.Read(file).Codec, Is.EqualTo("h264"), "what was recorded stays playable");

        // Put back: it comes back like a re-plugged camera, with its path.
        EditConfig(toml => toml + """

            [[camera.virtual]]
            name = "Demo"
            resolution = "320x240"
            fps = 15
            """);
        await CameraUpdate(client, "virtual0", "CONNECTED");
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "the reconciler re-created virtual0's path");
    }

    [Test]
    public async Task AnInvalidVirtualCameraEditIsRejectedAndTheCamerasStay()
    {
        await using var client = await _f.ConnectAsync(Role.Viewer);
        EditConfig(toml => toml.Replace("resolution = \"320x240\"", "resolution = \"huge\""));
        Assert.That(await CameraList(client), Is.EqualTo(new[] { ("virtual0", "CONNECTED", "Demo") }));
        Assert.That(_f.Host.Host.Config.Current.Camera.Virtual.Single().Resolution, Is.EqualTo("320x240"), "the running config is kept");
    }
}
