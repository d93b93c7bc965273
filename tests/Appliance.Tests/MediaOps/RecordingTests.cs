using System.Diagnostics;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>Recordings with real FFmpeg: the virtual camera's on-demand publisher feeds the RTSP
/// relay, and the recording copies the stream into segment files.</summary>
[NonParallelizable]
public class RecordingTests
{
    private MediaMtxFixture _f = null!;

    [SetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(30) },
            recordingExtra: "segment_duration = 2");
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path exists");
    }

    [TearDown]
    public async Task Stop() => await _f.DisposeAsync();

    private string RecordingsDir => Path.Combine(_f.Host.DataDir, "recordings");

    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());

    private static Task<JsonElement> Notification(RpcTestClient client, string status, double seconds = 15) =>
        client.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == status, seconds);

    [Test]
    public async Task ATimedRecordingRotatesSegmentsStopsByItselfAndEveryFilePlays()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        var sw = Stopwatch.StartNew();
        using var start = await client.CallAsync("start_recording", """{"device":"virtual0","duration_seconds":5}""");
        var startLatency = sw.ElapsedMilliseconds;
        var r = Result(start);
        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        Assert.That(r.GetProperty("success").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("filename").GetString(), Does.Match(@"^virtual0_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.mp4$"));
        Assert.That(r.GetProperty("duration").GetDouble(), Is.EqualTo(5));
        Assert.That(r.GetProperty("recording").GetProperty("recording_id").GetString(), Is.EqualTo(r.GetProperty("session_id").GetString()));
        Assert.That(r.GetProperty("recording").GetProperty("device_path").GetString(), Is.EqualTo("virtual0"));

        var started = await Notification(client, "STARTED");
        Assert.That(started.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "device", "status", "filename", "duration", "device_path", "recording_id", "start_time" }));
        using (var list = await client.CallAsync("get_camera_list"))
            Assert.That(Result(list).GetProperty("cameras")[0].GetProperty("recording").GetBoolean(), Is.True);
        using (var again = await client.CallAsync("start_recording", """{"device":"virtual0"}"""))
            Assert.That(again.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32005));

        var stopped = await Notification(client, "STOPPED", 20);
        Assert.That(stopped.GetProperty("duration").GetDouble(), Is.InRange(4.5, 12));
        var files = Directory.GetFiles(RecordingsDir, "virtual0_*.mp4").Order().ToList();
        Assert.That(files, Has.Count.GreaterThanOrEqualTo(2), "segments of 2 s rotate");
        var total = files.Sum(f => MediaProbe.Read(f).Duration ?? 0);
        Assert.That(total, Is.InRange(4.0, 6.5));
        Assert.That(files.All(f => MediaProbe.Read(f).Codec == "h264"), Is.True, "copied, not re-encoded");
        using (var list = await client.CallAsync("get_camera_list"))
            Assert.That(Result(list).GetProperty("cameras")[0].GetProperty("recording").GetBoolean(), Is.False);
        // The end is remembered for the file being written, and counted (the fsync policy synced what was written).
        using (var info = await client.CallAsync("get_recording_info", $$"""{"filename":"{{Path.GetFileName(files[^1])}}"}"""))
        {
            Assert.That(Result(info).GetProperty("reason").GetString(), Is.EqualTo("duration_reached"));
            Assert.That(Result(info).GetProperty("recording_id").GetString(), Is.EqualTo(r.GetProperty("session_id").GetString()));
        }
        await using (var admin = await _f.ConnectAsync(Role.Admin))
        using (var metrics = await admin.CallAsync("get_metrics"))
        {
            var rec = Result(metrics).GetProperty("recordings");
            Assert.That(rec.GetProperty("started").GetInt64(), Is.EqualTo(1));
            Assert.That(rec.GetProperty("active").GetInt32(), Is.Zero);
            Assert.That(rec.GetProperty("ends").GetProperty("duration_reached").GetInt64(), Is.EqualTo(1));
            Assert.That(rec.GetProperty("ends").GetProperty("recorder_stalled").GetInt64(), Is.Zero);
            Assert.That(rec.GetProperty("fsyncs").GetInt64(), Is.GreaterThanOrEqualTo(files.Count), "every segment was synced at least once");
            Assert.That(rec.GetProperty("bytes_synced").GetInt64(), Is.EqualTo(files.Sum(f => new FileInfo(f).Length)), "all that was written is durable");
        }
        TestContext.Out.WriteLine($"start_recording answered after {startLatency} ms (cold on-demand stream)");
    }

    [TestCase("mp4")]
    [TestCase("mkv")]
    public async Task StopRecordingFinalisesAPlayableFile(string format)
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        using (var start = await client.CallAsync("start_recording", $$"""{"device":"virtual0","format":"{{format}}"}"""))
            Assert.That(Result(start).GetProperty("format").GetString(), Is.EqualTo(format));
        await Task.Delay(1500);
        using var stop = await client.CallAsync("stop_recording", """{"device":"virtual0"}""");
        var r = Result(stop);
        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("STOPPED"));
        Assert.That(r.GetProperty("file_size").GetInt64(), Is.GreaterThan(0));
        Assert.That(DateTimeOffset.Parse(r.GetProperty("end_time").GetString()!), Is.GreaterThan(DateTimeOffset.Parse(r.GetProperty("start_time").GetString()!)));
        var first = Path.Combine(RecordingsDir, r.GetProperty("filename").GetString()!);
        Assert.That(first, Does.EndWith("." + format));
        Assert.That(MediaProbe.Read(first, countFrames: true).Frames, Is.GreaterThan(5));
        await Notification(client, "STOPPED");
        using var none = await client.CallAsync("stop_recording", """{"device":"virtual0"}""");
        Assert.That(none.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("No recording in progress"));
    }

    [Test]
    public async Task APublisherKilledMidRecordingEndsItAsFailedAndTheFileStillPlays()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        (await client.CallAsync("start_recording", """{"device":"virtual0"}""")).Dispose();
        await Notification(client, "STARTED");
        await Task.Delay(2500);
        var publisher = _f.StandIn.GetOnDemandStatus("virtual0").ProcessId;
        Assert.That(publisher, Is.Not.Null);
        Process.GetProcessById(publisher!.Value).Kill(entireProcessTree: true);

        var failed = await Notification(client, "FAILED", 20);
        Assert.That(failed.GetProperty("duration").GetDouble(), Is.GreaterThan(1));
        var files = Directory.GetFiles(RecordingsDir, "virtual0_*.mp4");
        Assert.That(files, Is.Not.Empty, "the files are kept");
        Assert.That(files.Select(f => MediaProbe.Read(f, countFrames: true).Frames).Sum(), Is.GreaterThan(10), "fragmented MP4 stays playable without a trailer");
        Assert.That(_f.Host.Host.Recorder.Active("virtual0"), Is.Null);
    }

    [Test]
    public async Task ACameraThatDisconnectsEndsItsRecordingAsFailed()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        (await client.CallAsync("start_recording", """{"device":"virtual0"}""")).Dispose();
        await Notification(client, "STARTED");
        await Task.Delay(1000);
        _f.Host.Host.Cameras.MarkDisconnected("virtual0");   // what discovery does when the camera is pulled out
        var failed = await Notification(client, "FAILED");
        Assert.That(failed.GetProperty("device").GetString(), Is.EqualTo("virtual0"));
        Assert.That(Directory.GetFiles(RecordingsDir, "virtual0_*.mp4").Select(f => MediaProbe.Read(f).Codec), Is.All.EqualTo("h264"));
    }

    [Test]
    public async Task DurationFormsAreValidated()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        foreach (var (p, field) in new[] { ("""{"device":"virtual0","duration_seconds":0}""", "duration_seconds"), ("""{"device":"virtual0","duration_seconds":3601}""", "duration_seconds"),
                     ("""{"device":"virtual0","duration_minutes":1441}""", "duration_minutes"), ("""{"device":"virtual0","duration_hours":25}""", "duration_hours"),
                     ("""{"device":"virtual0","duration_seconds":5,"duration_minutes":1}""", "duration_minutes"), ("""{"device":"virtual0","format":"avi"}""", "format") })
        {
            using var reply = await client.CallAsync("start_recording", p);
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo(field), p);
        }
        await using (var viewer = await _f.ConnectAsync(Role.Viewer))
        {
            using var reply = await viewer.CallAsync("start_recording", """{"device":"virtual0"}""");
            Assert.That(reply.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
        }
        Assert.That(Directory.Exists(RecordingsDir) ? Directory.GetFiles(RecordingsDir) : [], Is.Empty, "nothing was recorded by refused calls");
    }

    [Test]
    public async Task SnapshotAndRecordingAtTheSameTime()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        var rec = client.CallAsync("start_recording", """{"device":"virtual0","duration_seconds":3}""");
        var snap = client.CallAsync("take_snapshot", """{"device":"virtual0"}""");
        using var r1 = await rec;
        using var r2 = await snap;
        Assert.That(Result(r1).GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        Assert.That(Result(r2).GetProperty("status").GetString(), Is.EqualTo("completed"), Result(r2).ToString());
        await Notification(client, "STOPPED", 20);
    }

    [Test]
    public async Task AHungFfmpegIsStoppedWithinTheConfiguredWaits()
    {
        await using var client = await _f.ConnectAsync(Role.Operator);
        (await client.CallAsync("start_recording", """{"device":"virtual0"}""")).Dispose();
        await Notification(client, "STARTED");
        // This host's recorder: other test runs on the machine may be recording too.
        var recorder = Process.GetProcesses().Where(p => p.ProcessName == "ffmpeg")
            .Single(p => File.ReadAllText($"/proc/{p.Id}/cmdline") is var cmdline && cmdline.Contains("segment") && cmdline.Contains(RecordingsDir));
        Process.Start("kill", ["-STOP", recorder.Id.ToString()])!.WaitForExit();
        var sw = Stopwatch.StartNew();
        using var stop = await client.CallAsync("stop_recording", """{"device":"virtual0"}""");
        Assert.That(Result(stop).GetProperty("status").GetString(), Is.EqualTo("STOPPED"));
        // 'q' is ignored by a stopped process: termination (3 s) then SIGTERM + SIGCONT ends it.
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3 + 2 + 2)));
        Assert.That(recorder.WaitForExit(5000), Is.True, "no orphan left");
    }
}
