using System.Diagnostics;
using System.Text.Json;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.MediaOps;
using Appliance.Tests.Support;

namespace Appliance.Tests.Vm;

/// <summary>
/// Eight real V4L2 cameras at once on a real kernel: the VM boots with vivid n_devs=8 (one capture
/// node each), and the service, the MediaMTX stand-in and its real RTSP relay run as in the unplug
/// test. All eight are discovered, all eight start recording at the same moment (every camera's
/// on-demand publisher cold: FFmpeg reading the V4L2 node and encoding with libx264), a snapshot is
/// taken on each while they record, and after ~25 s all eight stop; every recording and every
/// snapshot must decode without an error and every recording must last as long as it was recorded.
/// Category "VmScale", not only "Vm": it needs its own VM boot (build.ps1 vm-test runs a second one
/// with <see cref="VividParams"/>) because the other Vm tests expect the default boot's two cameras.
/// </summary>
[Category("Vm")]
[Category("VmScale")]
// Quarantined (build.ps1 vm-test leaves VmQuarantine out; run it with --filter Category=VmScale): in the
// saturated TCG guest the stand-in's GStreamer relay is the weak part. Found and fixed: its Python bindings
// raced building struct accessors under eight client threads (requests refused). Mended in the service:
// a live-stream read whose probe found no picture is read once more. Still open (3 of 5 runs failed on
// 2026-12-07 evening, before the last fixes): a relay reader that got no data for 120 s. The relay's
// stderr tail (its own diagnostics and GStreamer's rtsp warnings) is printed with every run (issue 17).
[Category("VmQuarantine")]
[NonParallelizable]
public class VividEightCamerasTests
{
    private const int Cameras = 8;

    /// <summary>What build.ps1 vm-test passes to tests/vm/run-in-vm.sh for this boot (VIVID_PARAMS).</summary>
    public const string VividParams = "n_devs=8 node_types=0x1,0x1,0x1,0x1,0x1,0x1,0x1,0x1";

    // vivid's smallest webcam size at a low rate: eight libx264 publishers alone (no relay, recorders or
    // service) kept the TCG guest's two CPUs 85 % busy at 5 fps and dropped frames at 10 fps (measured
    // with the service's publisher arguments, 40 s, on this 2-core host). At 2 fps the cameras leave room for
    // the relay, the eight recorders, the snapshots and the service; the code paths are the same at any rate.
    private const int Width = 320, Height = 180, Fps = 2;

    /// <summary>How long every camera records after the last one has started.</summary>
    private static readonly TimeSpan RecordFor = TimeSpan.FromSeconds(25);

    /// <summary>One ffprobe of one small file in the busy emulated guest: seconds normally, generous here.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMinutes(2);

    private GuestLoad? _load;
    private MediaMtxStandIn? _standIn;
    private RunningHost? _host;
    private readonly List<RpcTestClient> _clients = [];

    [SetUp]
    public void InVm()
    {
        VmEnvironment.Require();
        VmEnvironment.WarmUpGStreamer();
    }

    [TearDown]
    public async Task Stop()
    {
        // Whatever failed: how busy the guest was and what each camera's publisher and recorder were doing.
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed && _host is not null)
            TestContext.Out.WriteLine("at the failure: " + Diagnostics());
        // The relay's own diagnostics (a reader told of a stream with no track, GStreamer warnings), pass or fail.
        if (_standIn?.RelayErrors is { Length: > 0 } relayErrors) TestContext.Out.WriteLine("relay stderr (last lines):\n" + relayErrors);
        foreach (var c in _clients) await c.DisposeAsync();
        _clients.Clear();
        if (_host is not null) await _host.DisposeAsync();
        if (_standIn is not null) await _standIn.DisposeAsync();
        (_host, _standIn, _load) = (null, null, null);
    }

    private MediaMtxStandIn StandIn => _standIn!;
    private RunningHost Host => _host!;

    // The MediaMTX stand-in with its real RTSP relay, and the service with its own defaults for talking
    // to MediaMTX (MediaMtxFixture's 1 s request timeout and quick circuit breaker are for fault tests:
    // here the stand-in shares the emulated CPUs with 16 FFmpeg processes and answers in seconds).
    private async Task StartServiceAsync()
    {
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions
        {
            UseRelay = true, RtspPort = 0, CommandRestartPause = TimeSpan.FromSeconds(1), RelayStartTimeout = VmEnvironment.RelayStartTimeout,
        });
        _host = await RunningHost.StartAsync(realDev: true, extraToml: $"""

            [mediamtx]
            api_port = {_standIn.ApiPort}
            rtsp_port = {_standIn.RtspPort}
            # Eight cold publishers start at once in the emulated guest: each takes tens of seconds to deliver its first frames.
            stream_readiness_timeout = 180

            [camera]
            hotplug_debounce_ms = 100
            default_resolution = "{Width}x{Height}"
            default_fps = {Fps}

            [resources]
            # The TCG guest is always oversubscribed: with the eight publishers up, tasks wait for a CPU ~96 %
            # of the time (PSI), and the default 90 refuses every recording (-32006 naming this key; seen
            # here). 100 = never refuse for CPU; the memory limit stays at its default.
            max_cpu_pressure = 100

            [ffmpeg]
            # max_concurrent and gop are left at their defaults (one short job per camera; a keyframe every
            # half second, here every frame): this test proves they let eight cameras record and snapshot.
            # Sixteen FFmpeg processes starting together under TCG: far past a board's defaults (see VmEnvironment.SlowFfmpeg).
            snapshot_process_creation_timeout = 120
            snapshot_execution_timeout = 240
            recording_process_creation_timeout = 120
            recording_execution_timeout = 240

            """);
    }

    // The first WebSocket connections of a freshly started service in the TCG guest can take longer than
    // the test client's 10 s connect limit (Kestrel's and the WebSocket path's code is still being JIT-compiled
    // while the cameras are probed): try again rather than fail on that.
    private async Task<RpcTestClient> ConnectAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await Host.ConnectAsync(Role.Operator); }
            catch (OperationCanceledException) when (attempt < 6) { TestContext.Out.WriteLine($"connect attempt {attempt} timed out; again"); }
        }
    }

    private static string Device(int i) => $"/dev/video{i}";

    private static string Path(int i) => $"camera{i}";

    [Test]
    public async Task EightCamerasRecordAtOnceTakeSnapshotsWhileRecordingAndEveryFilePlays()
    {
        var run = Stopwatch.StartNew();
        var nodes = Directory.GetFiles("/dev", "video*").Order(StringComparer.Ordinal).ToList();
        Assert.That(nodes, Is.EquivalentTo(Enumerable.Range(0, Cameras).Select(Device)),
            $"this test needs the VM booted with VIVID_PARAMS=\"{VividParams}\" (build.ps1 vm-test does that for Category=VmScale)");

        await using var load = _load = GuestLoad.Start();
        await StartServiceAsync();

        // 1. Discovery: all eight vivid nodes are cameras, each with its path in the media server.
        await MediaMtxFixture.Eventually(() => Enumerable.Range(0, Cameras).All(i => StandIn.GetPathConf(Path(i)) is not null),
            "every camera's path exists in MediaMTX", 60);
        await using var observer = await ConnectAsync();
        await observer.SubscribeAsync(["recording_status_update", "recording.progress"]);
        using (var list = await observer.CallAsync("get_camera_list"))
        {
            var r = Result(list);
            Assert.That(r.GetProperty("total").GetInt32(), Is.EqualTo(Cameras), r.ToString());
            Assert.That(r.GetProperty("connected").GetInt32(), Is.EqualTo(Cameras), r.ToString());
            var cameras = r.GetProperty("cameras").EnumerateArray().ToList();
            Assert.That(cameras.Select(c => c.GetProperty("device").GetString()), Is.EquivalentTo(Enumerable.Range(0, Cameras).Select(Device)));
            foreach (var c in cameras)
            {
                var device = c.GetProperty("device").GetString()!;
                Assert.That(c.GetProperty("status").GetString(), Is.EqualTo("CONNECTED"), c.ToString());
                Assert.That(c.GetProperty("resolution").GetString(), Is.EqualTo($"{Width}x{Height}"), c.ToString());
                Assert.That(c.GetProperty("fps").GetInt32(), Is.EqualTo(Fps), c.ToString());
                Assert.That(c.GetProperty("streams").GetProperty("rtsp").GetString(), Does.EndWith("/camera" + device["/dev/video".Length..]), c.ToString());
            }
        }

        // 2. All eight publishing (the issue's scenario: all publishing, all recording): each camera's
        // on-demand publisher is started as a viewer's DESCRIBE would, and counts once H.264 of the
        // camera's size flows through the relay. Cold, all at once, the stand-in's relay can hand a reader
        // that comes while its publisher is still starting an SDP FFmpeg cannot use (seen under TCG:
        // "Invalid data found when processing input"); MediaMTX answers a reader with the publisher's SDP.
        var demanded = run.Elapsed;
        await Task.WhenAll(Enumerable.Range(0, Cameras).Select(i => StandIn.DemandAsync(Path(i))));
        bool AllPublishing() => Enumerable.Range(0, Cameras).All(i => Publishing(Path(i)));
        for (var deadline = DateTime.UtcNow.AddSeconds(240); !AllPublishing() && DateTime.UtcNow < deadline;) await Task.Delay(250);
        Assert.That(AllPublishing(), Is.True, $"all {Cameras} cameras publish {Width}x{Height} H.264 within 240 s: {Diagnostics()}");
        var publishing = run.Elapsed - demanded;

        // One operator per camera, as eight people (or one client per camera) would press record together.
        for (var i = 0; i < Cameras; i++) _clients.Add(await ConnectAsync());

        // 3. start_recording on all eight at the same moment: no refusal (-32006 or any other).
        var starts = await Task.WhenAll(Enumerable.Range(0, Cameras).Select(i => TimedAsync(_clients[i], "start_recording", i, 300)));
        var refused = starts.Select((s, i) => (s, i)).Where(x => !x.s.Reply.RootElement.TryGetProperty("result", out _)).ToList();
        Assert.That(refused, Is.Empty, "start_recording refused: " + string.Join("; ", refused.Select(x => $"{Device(x.i)} after {x.s.AnsweredMs} ms: {x.s.Reply.RootElement}")) + "; " + Diagnostics());
        var sessions = starts.Select(s => Result(s.Reply).GetProperty("recording_id").GetString()!).ToList();
        Assert.That(sessions.Distinct().Count(), Is.EqualTo(Cameras), "eight recordings, not one shared");
        var allStarted = run.Elapsed;

        // 4. A snapshot on each camera while all eight record (the files are probed after the stop:
        // 16 ffprobe runs take minutes in the guest, and the recordings would run on meanwhile).
        var snapshots = await Task.WhenAll(Enumerable.Range(0, Cameras).Select(i => TimedAsync(_clients[i], "take_snapshot", i, 300)));
        var snapshotFiles = new List<string>();
        for (var i = 0; i < Cameras; i++)
        {
            var r = Result(snapshots[i].Reply);
            Assert.That(r.GetProperty("success").GetBoolean(), Is.True, $"{Device(i)}: {r}; {Diagnostics()}");
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("completed"), r.ToString());
            snapshotFiles.Add(r.GetProperty("file_path").GetString()!);
        }

        // 5. Recording on until RecordFor after the last start: no recording ends by itself, every one writes media.
        var progressed = new Dictionary<string, double>();
        var until = DateTime.UtcNow + Max(RecordFor - (run.Elapsed - allStarted), TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < until)
        {
            DrainNotifications(observer, progressed);
            await Task.Delay(100);
        }
        DrainNotifications(observer, progressed);
        Assert.That(progressed.Keys, Is.EquivalentTo(sessions), "every recording reports progress");

        // 6. stop_recording on all eight at once.
        var recorded = run.Elapsed - allStarted;
        var stops = await Task.WhenAll(Enumerable.Range(0, Cameras).Select(i => TimedAsync(_clients[i], "stop_recording", i, 120)));
        var recordingFiles = new List<string>();
        for (var i = 0; i < Cameras; i++)
        {
            var r = Result(stops[i].Reply);
            Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("STOPPED"), r.ToString());
            Assert.That(r.GetProperty("recording_id").GetString(), Is.EqualTo(sessions[i]));
            var files = r.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList();
            Assert.That(files, Has.Count.EqualTo(1), $"{Device(i)}: one segment (segment_duration is an hour): {r}");
            recordingFiles.Add(System.IO.Path.Combine(Host.DataDir, "recordings", files[0]));
        }

        // 7. Every snapshot is a JPEG of the camera's size that decodes without an error. One file at a
        // time: the eight publishers still keep the guest's two CPUs busy, and 32 ffprobe runs at once
        // starved each other past any time limit (seen: "ffprobe hung" after 30 s on files that decode in seconds).
        var probed = new List<(MediaProbe.Decoded Decoded, MediaProbe.Info Info)>();
        foreach (var f in snapshotFiles.Concat(recordingFiles))
            probed.Add(await Task.Run(() => (MediaProbe.Decode(f, ProbeTimeout), MediaProbe.Read(f, countFrames: false, ProbeTimeout))));
        foreach (var (decoded, info) in probed.Take(Cameras))
        {
            Assert.That(decoded.IsClean, Is.True, decoded.ToString());
            Assert.That((info.Codec, info.Width, info.Height), Is.EqualTo(("mjpeg", Width, Height)), decoded.Path);
        }

        // 8. Every recording plays: decodes without an error, H.264 of the camera's size, lasts as long
        // as it was recorded (see DurationTolerance), and holds a frame for every 1/Fps of it (no gap inside).
        var lines = new List<string>();
        for (var i = 0; i < Cameras; i++)
        {
            var (decoded, info) = probed[Cameras + i];
            var name = System.IO.Path.GetFileName(decoded.Path);
            Assert.That(decoded.IsClean, Is.True, decoded.ToString());
            Assert.That((info.Codec, info.Width, info.Height), Is.EqualTo(("h264", Width, Height)), name);
            Assert.That(info.Duration, Is.Not.Null, name);
            var duration = info.Duration!.Value;

            // The wall-clock window the file can hold: at most from the start request to the stop answer;
            // at least from the start answer (the first segment exists) to the stop request, less the tolerance.
            var most = (stops[i].AnsweredAt - starts[i].SentAt).TotalSeconds;
            var least = (stops[i].SentAt - starts[i].AnsweredAt).TotalSeconds;
            Assert.That(duration, Is.LessThanOrEqualTo(most + 1), $"{name}: {duration:F2} s of media in {most:F1} s of recording");
            Assert.That(duration, Is.GreaterThanOrEqualTo(least - DurationTolerance.TotalSeconds),
                $"{name}: {duration:F2} s of media, recorded for at least {least:F1} s (tolerance {DurationTolerance.TotalSeconds} s)");
            Assert.That(decoded.Frames, Is.GreaterThanOrEqualTo((int)(0.9 * duration * Fps)),
                $"{name}: {decoded.Frames} frames in {duration:F2} s at {Fps} fps: a stretch is missing");
            lines.Add($"{Path(i)} start {starts[i].AnsweredMs / 1000.0:F1} s, snapshot {snapshots[i].AnsweredMs / 1000.0:F1} s, stop {stops[i].AnsweredMs / 1000.0:F1} s; " +
                $"file {duration:F1} s for a {least:F1}-{most:F1} s window, {decoded.Frames} frames ({decoded.Frames / duration:F2} fps)");
        }

        VmEnvironment.Record($"8 vivid cameras ({Width}x{Height}@{Fps}, TCG-emulated VM): all 8 publishing {publishing.TotalSeconds:F1} s after the demand, " +
            $"all 8 start_recording answered in {starts.Max(s => s.AnsweredMs) / 1000.0:F1} s, " +
            $"8 snapshots in {snapshots.Max(s => s.AnsweredMs) / 1000.0:F1} s, all 8 stopped {recorded.TotalSeconds:F1} s after the last start; every recording and snapshot decodes cleanly; {load}; test {run.Elapsed.TotalSeconds:F0} s");
        foreach (var line in lines) VmEnvironment.Record("  " + line);
    }

    /// <summary>
    /// How much shorter a recording may be than the time from the start_recording answer to the
    /// stop_recording request. What it can lose there: the first frames may still be on their way when
    /// the file exists (publisher's encoder, the relay, the recorder: under TCG a second or two), and
    /// at the stop FFmpeg quits ('q') without draining what is in flight. In practice the file is longer
    /// than that window (measured: by 3.0-5.3 s in all eight files, the file starts before the answer
    /// reaches the client in the busy guest), so 3 s below it is 6-8 s short of a normal file: a cut
    /// tail, a lost stretch or a restart shows, emulation jitter does not. A gap inside the file is
    /// caught by the frame count instead.
    /// </summary>
    private static readonly TimeSpan DurationTolerance = TimeSpan.FromSeconds(3);

    private sealed record Timed(JsonDocument Reply, DateTime SentAt, DateTime AnsweredAt)
    {
        public long AnsweredMs => (long)(AnsweredAt - SentAt).TotalMilliseconds;
    }

    private async Task<Timed> TimedAsync(RpcTestClient client, string method, int camera, double seconds)
    {
        var sent = DateTime.UtcNow;
        try
        {
            var reply = await client.CallAsync(method, $$"""{"device":"{{Device(camera)}}"}""", seconds);
            return new Timed(reply, sent, DateTime.UtcNow);
        }
        catch (TimeoutException e)
        {
            throw new AssertionException($"{method} {Device(camera)}: {e.Message} in {seconds} s; {Diagnostics()}");
        }
    }

    // Progress per recording; any status change while recording fails the test, told as it is.
    private void DrainNotifications(RpcTestClient observer, Dictionary<string, double> progressed)
    {
        while (observer.Notifications.TryDequeue(out var doc))
        {
            var method = doc.RootElement.GetProperty("method").GetString();
            var p = doc.RootElement.GetProperty("params");
            if (method == "recording_status_update" && p.GetProperty("status").GetString() != "STARTED")
                Assert.Fail($"while recording: {p}; {Diagnostics()}");
            if (method == "recording_progress_update") progressed[p.GetProperty("session_id").GetString()!] = p.GetProperty("duration").GetDouble();
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // Ready in MediaMTX with the H.264 track's size known: the relay has parsed the publisher's SPS.
    private bool Publishing(string path)
    {
        var p = StandIn.GetPath(path);
        if (p?["ready"]?.GetValue<bool>() != true || p["tracks2"] is not System.Text.Json.Nodes.JsonArray { Count: > 0 } tracks) return false;
        var props = tracks[0]?["codecProps"];
        return props?["width"]?.GetValue<int>() == Width && props["height"]?.GetValue<int>() == Height;
    }

    // What the stand-in and the recorder saw of each camera, for a failure message.
    private string Diagnostics() => _load + "; " + string.Join(" | ", Enumerable.Range(0, Cameras).Select(i =>
    {
        string demand;
        try
        {
            var d = StandIn.GetOnDemandStatus(Path(i));
            demand = $"{d.Phase}, launches {d.Launches}, output: {string.Join(" / ", d.OutputTail.TakeLast(3))}";
        }
        catch (InvalidOperationException e) { demand = e.Message; }
        var path = StandIn.GetPath(Path(i));
        return $"{Path(i)}: publisher {demand}, ready {path?["ready"]}, tracks {path?["tracks2"]?.ToJsonString()}; recorder {Host.Host.Recorder.Active(Device(i))?.State.ToString() ?? "none"}";
    }));

    private static JsonElement Result(JsonDocument d) =>
        d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());
}
