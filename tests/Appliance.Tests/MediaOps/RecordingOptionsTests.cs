using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Media.Encoders;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Storage;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>
/// Recordings with codec, quality and format, end to end: the virtual camera's publisher feeds the
/// RTSP relay, the real FFmpeg transcodes (libx264, libx265) or copies into mp4/mkv/ts segments, the
/// real ffprobe reads the files, and the options come back as sent through the real RPC.
/// </summary>
[NonParallelizable]
public class RecordingOptionsTests
{
    private MediaMtxFixture _f = null!;
    private TestDirectory? _scripts;

    private async Task StartAsync(string extraToml = "")
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(30) },
            recordingExtra: "segment_duration = 2", extraToml: extraToml);
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "path exists");
    }

    [TearDown]
    public async Task Stop()
    {
        await _f.DisposeAsync();
        _scripts?.Dispose();
    }

    private string RecordingsDir => Path.Combine(_f.Host.DataDir, "recordings");

    private static Task<JsonElement> Status(RpcTestClient client, string status, double seconds = 20) =>
        client.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() == status, seconds);

    // A timed recording: started, its STOPPED seen; returns the result and the files it wrote (oldest first).
    private async Task<(JsonElement Result, List<string> Files)> RecordAsync(RpcTestClient client, string parameters)
    {
        var before = Directory.Exists(RecordingsDir) ? Directory.GetFiles(RecordingsDir).ToHashSet() : [];
        using var start = await client.CallAsync("start_recording", parameters);
        var r = RpcAssert.Result(start).Clone();
        await Status(client, "STOPPED");
        var files = Directory.GetFiles(RecordingsDir).Where(f => !before.Contains(f)).Order(StringComparer.Ordinal).ToList();
        Assert.That(files, Is.Not.Empty);
        return (r, files);
    }

    private static async Task<JsonElement> Info(RpcTestClient client, string file)
    {
        using var reply = await client.CallAsync("get_recording_info", $$"""{"filename":{{RpcAssert.Quote(Path.GetFileName(file))}}}""");
        return RpcAssert.Result(reply).Clone();
    }

    [Test]
    public async Task H264AtHighAndLowQualityAreH264WithHighTheBiggerAndTheOptionsComeBackEverywhere()
    {
        await StartAsync();
        await using var v1 = await _f.ConnectAsync(Role.Operator);
        await using var client = await _f.ConnectAsync(Role.Operator);
        using (var sub = await client.CallAsync("subscribe_events", """{"topics":["recording.start","recording.stop"]}"""))
            RpcAssert.Result(sub);

        var (high, highFiles) = await RecordAsync(client, """{"device":"virtual0","codec":"h264","quality":"high","duration_seconds":4}""");
        Assert.That(high.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"high","format":"mp4"}"""), "the config's format filled in");
        Assert.That(high.GetProperty("format").GetString(), Is.EqualTo("mp4"));
        var (low, lowFiles) = await RecordAsync(client, """{"device":"virtual0","codec":"h264","quality":"low","format":"mkv","duration_seconds":4}""");
        Assert.That(low.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"low","format":"mkv"}"""));
        Assert.That(lowFiles.All(f => f.EndsWith(".mkv", StringComparison.Ordinal)), Is.True);

        foreach (var f in highFiles.Concat(lowFiles))
        {
            var decoded = MediaProbe.Decode(f);
            Assert.That(decoded.IsClean, Is.True, decoded.ToString());
            Assert.That(MediaProbe.Read(f).Codec, Is.EqualTo("h264"));
        }
        // Keyframes forced on the 2 s segment boundaries: the segments are cut on time, not at the publisher's keyframes.
        Assert.That(highFiles, Has.Count.InRange(2, 3));
        Assert.That(MediaProbe.Read(highFiles[0]).Duration, Is.EqualTo(2.0).Within(0.15));

        var highInfo = await Info(client, highFiles[0]);
        var lowInfo = await Info(client, lowFiles[0]);
        Assert.That((highInfo.GetProperty("codec").GetString(), highInfo.GetProperty("resolution").GetString()), Is.EqualTo(("h264", "320x240")));
        Assert.That(highInfo.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"high","format":"mp4"}"""));
        Assert.That(lowInfo.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"low","format":"mkv"}"""));
        var highRate = highInfo.GetProperty("bitrate").GetInt64();
        var lowRate = lowInfo.GetProperty("bitrate").GetInt64();
        TestContext.Out.WriteLine($"h264 bitrate: high (crf 19) {highRate} b/s, low (crf 28) {lowRate} b/s");
        Assert.That(lowRate, Is.LessThan(highRate * 0.8), "CRF 28 takes clearly fewer bits than CRF 19");

        using (var list = await client.CallAsync("list_recordings"))
        {
            var entries = RpcAssert.Result(list).GetProperty("files").EnumerateArray().ToDictionary(e => e.GetProperty("filename").GetString()!, e => e.GetProperty("options").ToString());
            foreach (var f in highFiles) Assert.That(entries[Path.GetFileName(f)], Is.EqualTo("""{"codec":"h264","quality":"high","format":"mp4"}"""), "every segment");
            foreach (var f in lowFiles) Assert.That(entries[Path.GetFileName(f)], Is.EqualTo("""{"codec":"h264","quality":"low","format":"mkv"}"""));
        }

        // Subscribed: the options in every recording event. Never subscribed: exactly the v1 fields.
        var v1Fields = new[] { "device", "status", "filename", "duration", "device_path", "recording_id", "start_time" };
        var v1Started = await Status(v1, "STARTED");
        Assert.That(v1Started.EnumerateObject().Select(p => p.Name), Is.EqualTo(v1Fields));
        Assert.That((await Status(v1, "STOPPED")).EnumerateObject().Select(p => p.Name), Is.EqualTo(v1Fields));
        await client.CallAsync("start_recording", """{"device":"virtual0","codec":"h264","quality":"crf:30","format":"fmp4"}""");
        var started = await Status(client, "STARTED");
        Assert.That(started.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"crf:30","format":"fmp4"}"""));
        Assert.That(started.GetProperty("event").GetString(), Is.EqualTo("recording.start"));
        using (var stop = await client.CallAsync("stop_recording", """{"device":"virtual0"}""")) RpcAssert.Result(stop);
        var stopped = await Status(client, "STOPPED");
        Assert.That(stopped.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"crf:30","format":"fmp4"}"""));
    }

    [Test]
    public async Task H265IntoATransportStreamPlaysAndIsHevc()
    {
        await StartAsync();
        await using var client = await _f.ConnectAsync(Role.Operator);
        var (r, files) = await RecordAsync(client, """{"device":"virtual0","codec":"h265","quality":"crf:30","format":"ts","duration_seconds":3}""");
        Assert.That(r.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h265","quality":"crf:30","format":"ts"}"""));
        Assert.That(r.GetProperty("format").GetString(), Is.EqualTo("ts"));
        Assert.That(r.GetProperty("filename").GetString(), Does.Match(@"^virtual0_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.ts$"));
        Assert.That(files.All(f => f.EndsWith(".ts", StringComparison.Ordinal)), Is.True);
        var frames = 0;
        foreach (var f in files)
        {
            var decoded = MediaProbe.Decode(f);
            Assert.That(decoded.IsClean, Is.True, decoded.ToString());
            Assert.That(MediaProbe.Read(f).Codec, Is.EqualTo("hevc"));
            frames += decoded.Frames;
        }
        Assert.That(frames, Is.InRange(3 * 15 - 8, 3 * 15 + 8), "3 s at 15 fps");
        var info = await Info(client, files[0]);
        Assert.That(info.GetProperty("codec").GetString(), Is.EqualTo("hevc"));
        Assert.That(info.GetProperty("bitrate").GetInt64(), Is.GreaterThan(0));

        // A .ts is a recording like the others: downloaded as video/mp2t, deleted.
        using var http = new HttpClient { BaseAddress = _f.Host.HttpUri };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _f.Host.Token(Role.Viewer));
        using (var download = await http.GetAsync("/files/recordings/" + Path.GetFileName(files[0])))
        {
            Assert.That(download.IsSuccessStatusCode, Is.True, download.StatusCode.ToString());
            Assert.That(download.Content.Headers.ContentType?.MediaType, Is.EqualTo("video/mp2t"));
            Assert.That((await download.Content.ReadAsByteArrayAsync()).Length, Is.EqualTo(new FileInfo(files[0]).Length));
        }
        using (var delete = await client.CallAsync("delete_recording", $$"""{"filename":{{RpcAssert.Quote(Path.GetFileName(files[0]))}}}"""))
            Assert.That(RpcAssert.Result(delete).GetProperty("deleted").GetBoolean(), Is.True);
        Assert.That(File.Exists(files[0]), Is.False);
    }

    [Test]
    public async Task AnExplicitBitrateIsHeldAndFmp4IsWrittenAsMp4ButEchoedAsSent()
    {
        await StartAsync();
        await using var client = await _f.ConnectAsync(Role.Operator);
        var (r, files) = await RecordAsync(client, """{"device":"virtual0","codec":"h264","quality":"100k","format":"fmp4","duration_seconds":4}""");
        Assert.That(r.GetProperty("format").GetString(), Is.EqualTo("mp4"), "the container written");
        Assert.That(r.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"100k","format":"fmp4"}"""), "as sent");
        Assert.That(files.All(f => f.EndsWith(".mp4", StringComparison.Ordinal)), Is.True);
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var seconds = files.Sum(f => MediaProbe.Read(f).Duration ?? 0);
        TestContext.Out.WriteLine($"100k asked: {bytes * 8 / seconds:0} b/s over {seconds:0.00} s");
        Assert.That(bytes * 8 / seconds, Is.InRange(100_000 * 0.5, 100_000 * 1.4), "held near the asked bitrate (container overhead included); without it CRF 23 takes about 200k here");

        var (copy, copyFiles) = await RecordAsync(client, """{"device":"virtual0","format":"fmp4","duration_seconds":2}""");
        Assert.That(copy.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"copy","format":"fmp4"}"""), "no quality with copy");
        var info = await Info(client, copyFiles[0]);
        Assert.That(info.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"copy","format":"fmp4"}"""));
        Assert.That(info.GetProperty("codec").GetString(), Is.EqualTo("h264"), "the publisher's H.264, copied");
    }

    [Test]
    public async Task ATranscodeIsRefusedWhenTheCpusAreBusierThanTheTranscodeLimitWhileACopyStillStarts()
    {
        await StartAsync("[resources]\nmax_cpu_pressure = 100\ntranscode_max_cpu_percent = 1\n");
        await using var client = await _f.ConnectAsync(Role.Operator);
        // One core kept busy: the machine is then at least about half busy, far over 1 %.
        using var spin = new CancellationTokenSource();
        var spinner = Task.Factory.StartNew(() => { while (!spin.IsCancellationRequested) Thread.SpinWait(1000); }, TaskCreationOptions.LongRunning);
        try
        {
            using (var refused = await client.CallAsync("start_recording", """{"device":"virtual0","codec":"h264"}""", seconds: 30))
            {
                var (code, message, _) = RpcAssert.Error(refused);
                Assert.That(code, Is.EqualTo(-32006));
                Assert.That(message, Does.Contain("resources.transcode_max_cpu_percent = 1").And.Contain("record with codec \"copy\""));
            }
            Assert.That(Directory.Exists(RecordingsDir) ? Directory.GetFiles(RecordingsDir) : [], Is.Empty, "a refused recording leaves no file");
            using (var copy = await client.CallAsync("start_recording", """{"device":"virtual0","duration_seconds":2}""", seconds: 30))
                Assert.That(RpcAssert.Result(copy).GetProperty("options").ToString(), Is.EqualTo("""{"codec":"copy","format":"mp4"}"""), "a copy is not held to the transcode limit");
        }
        finally
        {
            await spin.CancelAsync();
            await spinner;
        }
        await Status(client, "STOPPED");
    }

    [Test]
    public async Task AHardwareEncoderWhenTheBoxHasOneIsPreferredWithABitrateForThePicture()
    {
        // This machine has no V4L2 encoder: the stand-in FFmpeg plays one (encoding with libx264, which takes the same -b:v and -g).
        _scripts = new TestDirectory();
        var fake = new FakeFfmpeg(_scripts, new Dictionary<string, FakeEncoder> { ["h264_v4l2m2m"] = FakeEncoder.EmulatedWithLibx264 });
        await StartAsync($"[ffmpeg]\npath = {RpcAssert.Quote(fake.Path)}\n");
        await using (var admin = await _f.ConnectAsync(Role.Admin))
        using (var info = await admin.CallAsync("get_server_info"))
            Assert.That(RpcAssert.Result(info).GetProperty("encoders")[0].ToString(), Is.EqualTo("""{"codec":"h264","encoder":"h264_v4l2m2m","hardware":true}"""));
        await using var client = await _f.ConnectAsync(Role.Operator);

        var (r, files) = await RecordAsync(client, """{"device":"virtual0","codec":"h264","duration_seconds":3}""");

        Assert.That(r.GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"medium","format":"mp4"}"""), "medium filled in");
        var recorder = fake.Calls.Single(c => c.Contains("-f segment"));
        // 320x240 at 15 fps, medium: 0.07 bit per pixel is 80 kbit/s, raised to the 100k floor; a keyframe every 2 s is 30 frames.
        Assert.That(recorder, Does.Contain("-c:v h264_v4l2m2m -pix_fmt yuv420p -b:v 100k -force_key_frames expr:gte(t,n_forced*2/1) -g 30"));
        Assert.That(recorder, Does.Not.Contain("-crf"));
        Assert.That(files.Select(f => MediaProbe.Read(f).Codec), Is.All.EqualTo("h264"));
    }
}
