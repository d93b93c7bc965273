using System.Diagnostics;
using System.Text.Json;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.MediaOps;
using Appliance.Tests.Support;

namespace Appliance.Tests.Vm;

/// <summary>
/// A camera pulled out mid-recording, on a real kernel: the vivid platform device is unbound while
/// the service records /dev/video0 through the MediaMTX stand-in and its real RTSP relay (the
/// on-demand publisher reads the V4L2 node and encodes it), then bound again. The recorder stops
/// FFmpeg with 'q' when the camera goes, so every file written so far must decode without a single
/// error; with recording.restart_on_failure the same recording goes on in a new segment once the
/// camera is back, without it the recording ends and a new one can be started.
/// </summary>
[Category("Vm")]
[NonParallelizable]
public class VividUnplugRecordingTests
{
    private const string Driver = "/sys/bus/platform/drivers/vivid";
    private const string Device = "/dev/video0";
    private const string StreamPath = "camera0";
    private const int SegmentSeconds = 5;
    private MediaMtxFixture? _f;

    [SetUp]
    public void InVm()
    {
        VmEnvironment.Require();
        VmEnvironment.WarmUpGStreamer();
    }

    [TearDown]
    public async Task Stop()
    {
        // The next test (and the other Vm tests) need the vivid nodes back, whatever happened here.
        if (!Directory.Exists($"{Driver}/vivid.0")) VmEnvironment.WriteSysfs($"{Driver}/bind", "vivid.0");
        if (_f is not null) await _f.DisposeAsync();
        _f = null;
    }

    private MediaMtxFixture F => _f!;

    private string RecordingsDir => Path.Combine(F.Host.DataDir, "recordings");

    [Test]
    public async Task AnUnpluggedCameraFailsTheRecordingWhichResumesInANewSegmentWhenTheCameraIsBack()
    {
        await StartServiceAsync(restartOnFailure: true);
        await using var client = await F.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["recording_status_update", "recording.progress"]);
        var (id, first, startMs) = await StartRecordingAsync(client);
        await RecordedAtLeastAsync(client, id, 4);

        // Unplugged: FAILED camera_lost, and the recording waits to go on.
        var sw = Stopwatch.StartNew();
        VmEnvironment.WriteSysfs($"{Driver}/unbind", "vivid.0");
        var failed = await NextEndOrStartAsync(client, 60);
        var failMs = sw.ElapsedMilliseconds;
        Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("FAILED"), failed.ToString());
        Assert.That(failed.GetProperty("reason").GetString(), Is.EqualTo("camera_lost"), failed.ToString());
        Assert.That(failed.GetProperty("restarting").GetBoolean(), Is.True, failed.ToString());
        Assert.That(failed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        var before = RecordingFiles();
        Assert.That(before, Does.Contain(first));
        Assert.That(failed.GetProperty("segment").GetString(), Is.EqualTo(before[^1]), "FAILED names the segment the unplug cut short");
        var framesBefore = before.Sum(DecodesCleanly);

        using (var status = await client.CallAsync("get_camera_status", $$"""{"device":"{{Device}}"}"""))
        {
            var r = Result(status);
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("DISCONNECTED"));
            Assert.That(r.GetProperty("recording").GetBoolean(), Is.True, "the recording is waiting for the camera, not over");
            Assert.That(r.GetProperty("recording_session").GetString(), Is.EqualTo(id));
        }

        // Plugged back: STARTED again, same recording, a new segment that grows.
        sw.Restart();
        VmEnvironment.WriteSysfs($"{Driver}/bind", "vivid.0");
        var resumed = await NextEndOrStartAsync(client, 180);
        var resumeMs = sw.ElapsedMilliseconds;
        Assert.That(resumed.GetProperty("status").GetString(), Is.EqualTo("STARTED"), resumed.ToString());
        Assert.That(resumed.GetProperty("resumed").GetBoolean(), Is.True, resumed.ToString());
        Assert.That(resumed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(resumed.GetProperty("filename").GetString(), Is.EqualTo(first), "the recording keeps its first file name");
        var segment = resumed.GetProperty("segment").GetString()!;
        Assert.That(before, Does.Not.Contain(segment), "a new segment, not one written before the unplug");
        // What was written since the resume grows (by then it may have rotated past the first new segment).
        long Resumed() => RecordingFiles().Except(before).Sum(f => new FileInfo(Path.Combine(RecordingsDir, f)).Length);
        var size = Resumed();
        Assert.That(size, Is.GreaterThan(0), $"{segment} is on disk");
        await MediaMtxFixture.Eventually(() => Resumed() > size, $"the recording grows after {segment}", 60);
        await RecordedAtLeastAsync(client, id, 2);

        using var stop = await client.CallAsync("stop_recording", $$"""{"device":"{{Device}}"}""", seconds: 60);
        var stopResult = Result(stop);
        var stopped = await NextEndOrStartAsync(client, 30);
        Assert.That(stopped.GetProperty("status").GetString(), Is.EqualTo("STOPPED"), stopped.ToString());
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"), stopped.ToString());
        Assert.That(stopped.GetProperty("recording_id").GetString(), Is.EqualTo(id));

        var all = RecordingFiles();
        Assert.That(stopResult.GetProperty("files").EnumerateArray().Select(f => f.GetString()), Is.EqualTo(all),
            "stop_recording lists every segment of the recording, those before the unplug and after");
        Assert.That(all, Does.Contain(segment));
        Assert.That(all.Take(before.Count), Is.EqualTo(before));
        var framesAfter = all.Skip(before.Count).Sum(DecodesCleanly);
        VmEnvironment.Record($"vivid unplug mid-recording (restart_on_failure): unbind -> FAILED camera_lost in {failMs} ms, bind -> STARTED resumed in {resumeMs} ms; " +
            $"start_recording {startMs} ms; {before.Count} segment(s) ({framesBefore} frames) before, {all.Count - before.Count} after ({framesAfter} frames), all decode cleanly (TCG-emulated VM)");
    }

    [Test]
    public async Task WithoutRestartOnFailureAnUnpluggedCameraEndsTheRecordingAndANewOneStartsWhenItIsBack()
    {
        await StartServiceAsync(restartOnFailure: false);
        await using var client = await F.ConnectAsync(Role.Operator);
        await client.SubscribeAsync(["recording_status_update", "recording.progress", "camera_status_update"]);
        var (id, first, _) = await StartRecordingAsync(client);
        await RecordedAtLeastAsync(client, id, 3);

        var sw = Stopwatch.StartNew();
        VmEnvironment.WriteSysfs($"{Driver}/unbind", "vivid.0");
        var failed = await NextEndOrStartAsync(client, 60);
        var failMs = sw.ElapsedMilliseconds;
        Assert.That(failed.GetProperty("status").GetString(), Is.EqualTo("FAILED"), failed.ToString());
        Assert.That(failed.GetProperty("reason").GetString(), Is.EqualTo("camera_lost"), failed.ToString());
        Assert.That(failed.TryGetProperty("restarting", out _), Is.False, "nothing goes on: " + failed);
        Assert.That(failed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        using (var status = await client.CallAsync("get_camera_status", $$"""{"device":"{{Device}}"}"""))
        {
            var r = Result(status);
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("DISCONNECTED"));
            Assert.That(r.GetProperty("recording").GetBoolean(), Is.False, "the recording is over");
        }
        var before = RecordingFiles();
        Assert.That(before, Does.Contain(first));
        foreach (var file in before) DecodesCleanly(file);

        sw.Restart();
        VmEnvironment.WriteSysfs($"{Driver}/bind", "vivid.0");
        var back = await client.NextNotificationAsync("camera_status_update",
            p => p.GetProperty("device").GetString() == Device && p.GetProperty("status").GetString() == "CONNECTED", seconds: 30);
        var connectMs = sw.ElapsedMilliseconds;
        Assert.That(back.GetProperty("streams").GetProperty("rtsp").GetString(), Does.EndWith("/" + StreamPath));
        Assert.That(F.Host.Host.Recorder.Active(Device), Is.Null, "the ended recording does not come back by itself");

        var (second, secondFile, restartMs) = await StartRecordingAsync(client);
        Assert.That(second, Is.Not.EqualTo(id), "a new recording");
        Assert.That(before, Does.Not.Contain(secondFile));
        await RecordedAtLeastAsync(client, second, 2);
        using (var stop = await client.CallAsync("stop_recording", $$"""{"device":"{{Device}}"}""", seconds: 60))
            Assert.That(Result(stop).GetProperty("status").GetString(), Is.EqualTo("STOPPED"));
        var stopped = await NextEndOrStartAsync(client, 30);
        Assert.That(stopped.GetProperty("status").GetString(), Is.EqualTo("STOPPED"), stopped.ToString());
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));
        Assert.That(stopped.GetProperty("recording_id").GetString(), Is.EqualTo(second));
        var after = RecordingFiles().Except(before).ToList();
        Assert.That(after, Does.Contain(secondFile));
        foreach (var file in after) DecodesCleanly(file);
        VmEnvironment.Record($"vivid unplug mid-recording (no restart): unbind -> FAILED camera_lost in {failMs} ms; bind -> CONNECTED in {connectMs} ms, " +
            $"then start_recording answered in {restartMs} ms (TCG-emulated VM)");
    }

    private async Task StartServiceAsync(bool restartOnFailure)
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1), RelayStartTimeout = VmEnvironment.RelayStartTimeout },
            mediaMtxExtra: VmEnvironment.SlowPublisher,
            // The smallest webcam mode vivid offers keeps libx264 (the publisher) affordable under TCG.
            extraToml: "\n[camera]\nhotplug_debounce_ms = 100\ndefault_resolution = \"320x180\"\ndefault_fps = 15\n" + VmEnvironment.SlowFfmpeg,
            recordingExtra: $"segment_duration = {SegmentSeconds}\nrestart_on_failure = {(restartOnFailure ? "true" : "false")}",
            realCameras: true);
        await MediaMtxFixture.Eventually(() => F.StandIn.GetPathConf(StreamPath) is not null, $"{StreamPath}'s path exists in MediaMTX", 60);
    }

    // start_recording answers once the first file exists: under TCG the cold on-demand publisher
    // (FFmpeg reading the V4L2 node, libx264) takes tens of seconds to deliver its first frames.
    private async Task<(string Id, string File, long Ms)> StartRecordingAsync(RpcTestClient client)
    {
        var sw = Stopwatch.StartNew();
        using var reply = await client.CallAsync("start_recording", $$"""{"device":"{{Device}}"}""", seconds: 150);
        var ms = sw.ElapsedMilliseconds;
        if (!reply.RootElement.TryGetProperty("result", out var r))
            Assert.Fail($"start_recording failed after {ms} ms: {reply.RootElement}; {Diagnostics()}");
        var id = r.GetProperty("recording_id").GetString()!;
        var file = r.GetProperty("filename").GetString()!;
        Assert.That(file, Does.Match($@"^{StreamPath}_\d{{4}}-\d\d-\d\d_\d\d-\d\d-\d\d\.mp4$"));
        var started = await NextEndOrStartAsync(client, 10);
        Assert.That(started.GetProperty("status").GetString(), Is.EqualTo("STARTED"), started.ToString());
        Assert.That(started.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(started.TryGetProperty("resumed", out _), Is.False, "a first start is not a resume");
        return (id, file, ms);
    }

    // Waits until the recording's FFmpeg has written at least this much media time (its progress
    // notifications); a status change meanwhile is a failure, told as it is.
    private async Task RecordedAtLeastAsync(RpcTestClient client, string id, double seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = 0.0;
        while (DateTime.UtcNow < deadline)
        {
            while (client.Notifications.TryDequeue(out var doc))
            {
                var method = doc.RootElement.GetProperty("method").GetString();
                var p = doc.RootElement.GetProperty("params");
                if (method == "recording_status_update") Assert.Fail($"while recording: {p}; {Diagnostics()}");
                if (method != "recording_progress_update" || p.GetProperty("session_id").GetString() != id) continue;
                last = p.GetProperty("duration").GetDouble();
                if (last >= seconds) return;
            }
            await Task.Delay(25);
        }
        Assert.Fail($"the recording wrote only {last} s of media in 60 s (wanted {seconds} s); {Diagnostics()}");
    }

    private async Task<JsonElement> NextEndOrStartAsync(RpcTestClient client, double seconds)
    {
        try
        {
            return await client.NextNotificationAsync("recording_status_update", p => p.GetProperty("status").GetString() is "STARTED" or "STOPPED" or "FAILED", seconds);
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"{e.Message}; {Diagnostics()}");
            throw;
        }
    }

    // The segment files of the camera, oldest first (their names are their start times).
    private List<string> RecordingFiles() =>
        [.. Directory.GetFiles(RecordingsDir, $"{StreamPath}_*.mp4").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    private int DecodesCleanly(string file)
    {
        var decoded = MediaProbe.Decode(Path.Combine(RecordingsDir, file));
        Assert.That(decoded.Errors, Is.Empty, $"ffprobe -v error -count_frames {file}");
        Assert.That(decoded.Frames, Is.GreaterThan(0), $"{file} holds video");
        return decoded.Frames;
    }

    // What the stand-in and the service saw, for a failure message.
    private string Diagnostics()
    {
        string demand;
        try
        {
            var d = F.StandIn.GetOnDemandStatus(StreamPath);
            demand = $"{d.Phase}, pid {d.ProcessId}, launches {d.Launches}, output: {string.Join(" | ", d.OutputTail)}";
        }
        catch (InvalidOperationException e) { demand = e.Message; }
        var session = F.Host.Host.Recorder.Active(Device);
        return $"on-demand publisher: {demand}; path: {F.StandIn.GetPath(StreamPath)?.ToJsonString()}; recorder: {session?.State.ToString() ?? "none"} " +
            $"({string.Join(", ", session?.Files ?? [])}); files on disk: {string.Join(", ", RecordingFiles())}";
    }

    private static JsonElement Result(JsonDocument d) =>
        d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());
}
