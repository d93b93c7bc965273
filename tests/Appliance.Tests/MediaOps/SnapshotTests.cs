using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>take_snapshot with real FFmpeg, over the real API.</summary>
[NonParallelizable]
public class SnapshotTests
{
    private MediaMtxFixture _f = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) });
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path exists");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _f.DisposeAsync();

    // virtual0 recording, and its stream live in MediaMTX (the relay's publisher up).
    private async Task RecordUntilLiveAsync(RpcTestClient client)
    {
        using (var rec = await client.CallAsync("start_recording", """{"device":"virtual0"}"""))
            Assert.That(Result(rec).GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPath("virtual0")?["ready"]?.GetValue<bool>() == true, "stream live");
    }

    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());

    [Test]
    public async Task DefaultSnapshotIsAJpegWithTheContractNameAndFields()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        using var reply = await client.CallAsync("take_snapshot", """{"device":"virtual0"}""");
        var r = Result(reply);
        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("completed"), r.ToString());
        Assert.That(r.GetProperty("success").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("filename").GetString(), Does.Match(@"^virtual0_snapshot_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.jpg$"));
        Assert.That(r.GetProperty("timestamp").GetString(), Does.EndWith("Z"));
        var path = r.GetProperty("file_path").GetString()!;
        Assert.That(new FileInfo(path).Length, Is.EqualTo(r.GetProperty("file_size").GetInt64()));
        var bytes = File.ReadAllBytes(path);
        Assert.That((bytes[0], bytes[1], bytes[^2], bytes[^1]), Is.EqualTo(((byte)0xFF, (byte)0xD8, (byte)0xFF, (byte)0xD9)));
        var info = MediaProbe.Read(path);
        Assert.That((info.Codec, info.Width, info.Height), Is.EqualTo(("mjpeg", 320, 240)));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"), Is.Empty, "no temp file left behind");
    }

    [Test]
    public async Task PngQualityAndResize()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        using var png = await client.CallAsync("take_snapshot", """{"device":"virtual0","format":"png"}""");
        var pngPath = Result(png).GetProperty("file_path").GetString()!;
        Assert.That(pngPath, Does.EndWith(".png"));
        Assert.That(MediaProbe.Read(pngPath).Codec, Is.EqualTo("png"));

        using var low = await client.CallAsync("take_snapshot", """{"device":"virtual0","quality":5}""");
        using var high = await client.CallAsync("take_snapshot", """{"device":"virtual0","quality":98}""");
        Assert.That(Result(low).GetProperty("file_size").GetInt64(), Is.LessThan(Result(high).GetProperty("file_size").GetInt64()));

        using var small = await client.CallAsync("take_snapshot", """{"device":"virtual0","max_width":160,"max_height":160}""");
        var info = MediaProbe.Read(Result(small).GetProperty("file_path").GetString()!);
        Assert.That((info.Width, info.Height), Is.EqualTo((160, 120)), "shrunk to fit, aspect kept");
        using var big = await client.CallAsync("take_snapshot", """{"device":"virtual0","max_width":4000}""");
        Assert.That(MediaProbe.Read(Result(big).GetProperty("file_path").GetString()!).Width, Is.EqualTo(320), "never enlarged");
    }

    [Test]
    public async Task CustomNamesAreBareNamesAndNeverOverwrite()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        using var a = await client.CallAsync("take_snapshot", """{"device":"virtual0","filename":"door.jpg"}""");
        using var b = await client.CallAsync("take_snapshot", """{"device":"virtual0","filename":"door.jpg"}""");
        Assert.That(Result(a).GetProperty("filename").GetString(), Is.EqualTo("door.jpg"));
        Assert.That(Result(b).GetProperty("filename").GetString(), Is.EqualTo("door_1.jpg"));
        foreach (var bad in new[] { "../escape.jpg", "/etc/evil.jpg", "a/b.jpg", "..\\\\x.jpg", "nul\\u0000.jpg" })
        {
            using var reply = await client.CallAsync("take_snapshot", $$"""{"device":"virtual0","filename":"{{bad}}"}""");
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602), bad);
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("filename"));
        }
        Assert.That(File.Exists(Path.Combine(_f.Host.DataDir, "escape.jpg")), Is.False);
    }

    [Test]
    public async Task WrongParamsUnknownCameraAndRoles()
    {
        await using var viewer = await _f.ConnectAsync(Role.Viewer);
        using (var reply = await viewer.CallAsync("take_snapshot", """{"device":"virtual0"}"""))
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
        await using var op = await _f.ConnectAsync(Role.Operator);
        using (var reply = await op.CallAsync("take_snapshot", """{"device":"/dev/video7"}"""))
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        foreach (var (p, field) in new[] { ("""{"device":"virtual0","quality":0}""", "quality"), ("""{"device":"virtual0","quality":101}""", "quality"),
                     ("""{"device":"virtual0","format":"gif"}""", "format"), ("""{}""", "device") })
        {
            using var reply = await op.CallAsync("take_snapshot", p);
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo(field), p);
        }
    }

    [Test]
    public async Task WhileTheCameraIsStreamingTheSnapshotComesFromTheStream()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        var inputs = new List<string>();
        using var _ = _f.Host.Host.Events.On<Appliance.Media.Snapshots.SnapshotTaken>("test", e => { lock (inputs) inputs.Add(e.Outcome.Input); });
        await RecordUntilLiveAsync(client);
        try
        {
            using var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}""");
            Assert.That(Result(snap).GetProperty("status").GetString(), Is.EqualTo("completed"), Result(snap).ToString());
            await _f.Host.Host.Events.FlushAsync();
            lock (inputs) Assert.That(inputs[^1], Is.EqualTo("stream"));
            Assert.That(MediaProbe.Read(Result(snap).GetProperty("file_path").GetString()!).Width, Is.EqualTo(320));
        }
        finally
        {
            (await client.CallAsync("stop_recording", """{"device":"virtual0"}""")).Dispose();
        }
    }

    [Test]
    public async Task WhenMediaMtxAnswersSlowlyARecordingCamerasSnapshotStillComesFromTheStream()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        var inputs = new List<string>();
        using var _ = _f.Host.Host.Events.On<Appliance.Media.Snapshots.SnapshotTaken>("test", e => { lock (inputs) inputs.Add(e.Outcome.Input); });
        await RecordUntilLiveAsync(client);
        try
        {
            // "Is it live?" takes longer than the service waits for it (a busy box): that is no answer.
            _f.StandIn.Faults.Add(Fault.Slow(TimeSpan.FromSeconds(2)).ForPath("/v3/paths/get/"));
            using var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}""", seconds: 20);
            Assert.That(Result(snap).GetProperty("status").GetString(), Is.EqualTo("completed"), Result(snap).ToString());
            await _f.Host.Host.Events.FlushAsync();
            lock (inputs) Assert.That(inputs[^1], Is.EqualTo("stream"), "the camera's picture, not the test pattern");
        }
        finally
        {
            _f.StandIn.Faults.Clear();
            (await client.CallAsync("stop_recording", """{"device":"virtual0"}""")).Dispose();
        }
    }
}
