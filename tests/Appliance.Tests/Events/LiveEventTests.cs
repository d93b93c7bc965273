using System.Text.Json;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Support;

namespace Appliance.Tests.Events;

/// <summary>
/// Each topic caused for real, over real WebSocket connections to the real host: two virtual
/// cameras (real FFmpeg publishers through the RTSP relay), real recordings and snapshots, and the
/// MediaMTX stand-in stopped and restarted.
/// </summary>
[NonParallelizable]
public class LiveEventTests
{
    private MediaMtxFixture _f = null!;

    [SetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) },
            recordingExtra: "segment_duration = 2\nprogress_interval = 1",
            extraToml: "\n[[camera.virtual]]\nname = \"Second\"\nresolution = \"320x240\"\nfps = 15\n");
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null && _f.StandIn.GetPathConf("virtual1") is not null, "paths exist");
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Health.Overall() == "healthy", "the service is healthy", 15);
    }

    [TearDown]
    public async Task Stop() => await _f.DisposeAsync();

    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r.Clone() : throw new AssertionException(d.RootElement.ToString());


    private static List<string> Methods(RpcTestClient c) => [.. c.Notifications.Select(n => n.RootElement.GetProperty("method").GetString()!)];

    [Test]
    public async Task ATimedRecordingSendsStartedGrowingProgressAndStopped()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["recording.start", "recording.progress", "recording.stop"]);
        using (var start = await client.CallAsync("start_recording", """{"device":"virtual0","duration_seconds":5}"""))
            Assert.That(Result(start).GetProperty("status").GetString(), Is.EqualTo("STARTED"));

        var started = await client.NextNotificationAsync("recording_status_update");
        Assert.That((started.GetProperty("status").GetString(), started.GetProperty("event").GetString()), Is.EqualTo(("STARTED", "recording.start")));
        var session = started.GetProperty("recording_id").GetString();

        var progress = new List<JsonElement>();
        JsonElement stopped = default;
        var deadline = DateTime.UtcNow.AddSeconds(25);
        while (stopped.ValueKind == JsonValueKind.Undefined && DateTime.UtcNow < deadline)
        {
            while (client.Notifications.TryDequeue(out var doc))
            {
                var p = doc.RootElement.GetProperty("params").Clone();
                switch (doc.RootElement.GetProperty("method").GetString())
                {
                    case "recording_progress_update": progress.Add(p); break;
                    case "recording_status_update": stopped = p; break;
                }
            }
            await Task.Delay(20);
        }
        Assert.That(stopped.ValueKind, Is.EqualTo(JsonValueKind.Object), "STOPPED arrived");
        Assert.That((stopped.GetProperty("status").GetString(), stopped.GetProperty("event").GetString()), Is.EqualTo(("STOPPED", "recording.stop")));
        Assert.That(progress, Has.Count.GreaterThanOrEqualTo(3), "about one a second for 5 s");
        Assert.That(progress.Select(p => p.GetProperty("session_id").GetString()).Distinct(), Is.EqualTo(new[] { session }));
        Assert.That(progress.All(p => p.GetProperty("event").GetString() == "recording.progress"), Is.True);
        var sizes = progress.Select(p => p.GetProperty("file_size").GetInt64()).ToList();
        var durations = progress.Select(p => p.GetProperty("duration").GetDouble()).ToList();
        Assert.That(sizes, Is.Ordered.Ascending, "the files grow");
        Assert.That(sizes[^1], Is.GreaterThan(sizes[0]));
        Assert.That(durations, Is.Ordered.Ascending);
        Assert.That(durations[^1], Is.InRange(1.5, 6.5), "media time written, from FFmpeg");
        Assert.That(progress[^1].GetProperty("segment").GetString(), Does.Match(@"^virtual0_.*\.mp4$"));
        // The size reported is the size of the files on disk at that moment.
        var onDisk = Directory.GetFiles(Path.Combine(_f.Host.DataDir, "recordings"), "virtual0_*.mp4").Sum(f => new FileInfo(f).Length);
        Assert.That(sizes[^1], Is.LessThanOrEqualTo(onDisk));
    }

    [Test]
    public async Task ASnapshotSendsSnapshotTaken()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["snapshot.taken"]);
        using var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}""");
        var filename = Result(snap).GetProperty("filename").GetString()!;
        var taken = await client.NextNotificationAsync("snapshot_taken");
        Assert.That(taken.GetProperty("filename").GetString(), Is.EqualTo(filename));
        Assert.That(taken.GetProperty("device").GetString(), Is.EqualTo("virtual0"));
        Assert.That(taken.GetProperty("source").GetString(), Is.EqualTo("api"));
        Assert.That(taken.GetProperty("file_size").GetInt64(), Is.EqualTo(new FileInfo(Path.Combine(_f.Host.DataDir, "snapshots", filename)).Length));
        Assert.That(taken.GetProperty("download_url").GetString(), Is.EqualTo("/files/snapshots/" + filename));
    }

    [Test]
    public async Task TheMediaServerGoingAwayIsDegradedAndComingBackIsHealthy()
    {
        await using var client = await _f.ConnectAsync(Role.Viewer);
        await client.SubscribeAsync(["system_health_update"]); // the alias of system.health
        await _f.StandIn.StopAsync();
        JsonElement degraded;
        try
        {
            degraded = await client.NextNotificationAsync("system_health_update", p => p.GetProperty("status").GetString() == "degraded", 15);
        }
        finally
        {
            await _f.StandIn.RestartAsync();
        }
        Assert.That(degraded.GetProperty("components").GetProperty("mediamtx_controller").GetString(), Is.EqualTo("degraded"));
        Assert.That(degraded.GetProperty("reason").GetString(), Does.StartWith("mediamtx_controller degraded: "));
        Assert.That(degraded.GetProperty("event").GetString(), Is.EqualTo("system.health"));
        var healthy = await client.NextNotificationAsync("system_health_update", p => p.GetProperty("status").GetString() == "healthy", 20);
        Assert.That(healthy.GetProperty("components").EnumerateObject().All(c => c.Value.GetString() == "running"), Is.True, healthy.ToString());
        Assert.That(healthy.GetProperty("reason").GetString(), Is.EqualTo("all components running"));
    }

    [Test]
    public async Task AStreamGoingLiveAndIdleSendsStreamStatus()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["stream.status"], device: "virtual0");
        using (var start = await client.CallAsync("start_recording", """{"device":"virtual0"}""")) // the recording is the stream's reader
            Assert.That(Result(start).GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        var live = await client.NextNotificationAsync("stream_status_update", p => p.GetProperty("ready").GetBoolean() && p.GetProperty("readers").GetInt32() >= 1, 10);
        Assert.That((live.GetProperty("device").GetString(), live.GetProperty("path").GetString()), Is.EqualTo(("virtual0", "virtual0")));
        using (var stop = await client.CallAsync("stop_recording", """{"device":"virtual0"}"""))
            Assert.That(Result(stop).GetProperty("status").GetString(), Is.EqualTo("STOPPED"));
        var idle = await client.NextNotificationAsync("stream_status_update", p => p.GetProperty("readers").GetInt32() == 0, 10);
        Assert.That(idle.GetProperty("event").GetString(), Is.EqualTo("stream.status"));
    }

    [Test]
    public async Task ADeviceFilterKeepsOtherCamerasOut()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["snapshot.taken"], device: "virtual1");
        using (var other = await client.CallAsync("take_snapshot", """{"device":"virtual0"}"""))
            Assert.That(Result(other).GetProperty("status").GetString(), Is.EqualTo("completed"));
        using (var mine = await client.CallAsync("take_snapshot", """{"device":"virtual1"}"""))
            Assert.That(Result(mine).GetProperty("status").GetString(), Is.EqualTo("completed"));
        var taken = await client.NextNotificationAsync("snapshot_taken");
        Assert.That(taken.GetProperty("device").GetString(), Is.EqualTo("virtual1"));
        await _f.Host.Host.Events.FlushAsync();
        await Task.Delay(100);
        Assert.That(Methods(client), Has.None.EqualTo("snapshot_taken"), "virtual0's snapshot was filtered out");
    }

    [Test]
    public async Task UnsubscribingStopsDelivery()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["snapshot.taken", "recording.start"]);
        using (var un = await client.CallAsync("unsubscribe_events", """{"topics":["snapshot.taken"]}"""))
        {
            Assert.That(Result(un).GetProperty("topics").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "snapshot.taken" }));
            Assert.That(Result(un).GetProperty("remaining_topics").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "recording.start" }));
        }
        using (var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}"""))
            Assert.That(Result(snap).GetProperty("status").GetString(), Is.EqualTo("completed"));
        using (var all = await client.CallAsync("unsubscribe_events"))
            Assert.That(Result(all).GetProperty("remaining_topics").GetArrayLength(), Is.Zero);
        using (var start = await client.CallAsync("start_recording", """{"device":"virtual1"}"""))
            Assert.That(Result(start).GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        using (var stop = await client.CallAsync("stop_recording", """{"device":"virtual1"}""")) { }
        await _f.Host.Host.Events.FlushAsync();
        await Task.Delay(100);
        Assert.That(Methods(client), Is.Empty, "nothing after unsubscribing, not even the v1 notifications");
    }

    [Test]
    public async Task ANeverSubscribedConnectionSeesExactlyTheV1Notifications()
    {
        await using var v1 = await _f.ConnectAsync(Role.Operator);
        await using var subscriber = await _f.ConnectAsync(Role.Operator);
        await subscriber.SubscribeAsync(["recording.progress", "snapshot.taken", "system.health", "stream.status"]);
        using (var snap = await v1.CallAsync("take_snapshot", """{"device":"virtual0"}""")) Assert.That(Result(snap).GetProperty("success").GetBoolean(), Is.True);
        using (var start = await v1.CallAsync("start_recording", """{"device":"virtual0","duration_seconds":3}""")) Assert.That(Result(start).GetProperty("success").GetBoolean(), Is.True);
        var stopped = await v1.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == "STOPPED", 20);
        await subscriber.NextNotificationAsync("snapshot_taken"); // the other topics really were produced meanwhile (in this order)
        await subscriber.NextNotificationAsync("recording_progress_update");

        Assert.That(stopped.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "device", "status", "filename", "duration", "device_path", "recording_id", "start_time" }));

        // A camera plugged in (hot-plug of a node): camera_status_update with exactly the v1 camera fields.
        File.WriteAllText(Path.Combine(_f.Host.DevDir, "video3"), "usb-cam-3");
        var plugged = await v1.NextNotificationAsync("camera_status_update", p => p.GetProperty("status").GetString() == "CONNECTED", 10);
        Assert.That(plugged.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "device", "status", "name", "resolution", "fps", "streams", "device_path" }));
        Assert.That(plugged.GetProperty("streams").GetProperty("rtsp").GetString(), Does.EndWith("/camera3"));

        await _f.Host.Host.Events.FlushAsync();
        await Task.Delay(200);
        var methods = Methods(v1);
        Assert.That(methods.Distinct(), Is.SubsetOf(new[] { "recording_status_update", "camera_status_update" }), string.Join(", ", methods));
        foreach (var n in v1.Notifications)
        {
            var p = n.RootElement.GetProperty("params");
            Assert.That(p.TryGetProperty("event", out _), Is.False, "no event field for a v1 client");
            Assert.That(n.RootElement.TryGetProperty("id", out _), Is.False);
        }
    }
}
