using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.MediaOps;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.Faults;

// The fault matrix (issue "Recordings survive every fault"), one test class per kind of fault:
//   RecorderFaultTests     recorder FFmpeg SIGKILL (recorder_crashed) and SIGSTOP (recorder_stalled),
//                          each with and without recording.restart_on_failure; a kill right after a rotation
//   MediaServerFaultTests  MediaMTX down then up (media_server_lost), with and without restart_on_failure
//   StorageFaultTests      the disk fills while recording (disk_full, then -32007); min_free_mb before a start
//   ServiceKillTests       the service as its own process: power cut (service + recorder SIGKILLed at once),
//                          service SIGKILL (orphaned recorder reaped by the restarted service)
//   ConfigFaultTests       a syntax error saved while running; starting on a broken file
// Every test checks the files (ffprobe -v error -count_frames: no error line, frames; whole MP4 boxes), the
// notifications (reason for a subscriber, exactly the v1 fields for a client that never subscribed), the
// camera state, get_recording_info's reason, and that a new recording works afterwards.

/// <summary>
/// The fault matrix's shared rig: the real service host on the MediaMTX stand-in with its GStreamer
/// RTSP relay (<see cref="MediaMtxFixture"/>), one 320x240 virtual camera (15 fps, 1 s GOP), real FFmpeg, 4 s segments;
/// one client subscribed to the recording topics (it gets <c>reason</c>) and one that never
/// subscribed (it gets exactly the v1 fields). Plus the checks every fault test makes: the files
/// decode without one error line, the notifications, the camera state, and a new recording.
/// </summary>
public sealed class FaultRig : IAsyncDisposable
{
    public const string Device = "virtual0";

    /// <summary>What a never-subscribed (v1) client gets in recording_status_update, exactly.</summary>
    public static readonly string[] V1Fields = ["device", "status", "filename", "duration", "device_path", "recording_id", "start_time"];

    private FaultRig(MediaMtxFixture fixture, RpcTestClient subscribed, RpcTestClient v1)
    {
        Fixture = fixture;
        Subscribed = subscribed;
        V1 = v1;
    }

    public MediaMtxFixture Fixture { get; }

    /// <summary>An admin (get_status is admin's) subscribed to recording.start/stop/error: gets reason, error, restarting, resumed, segment.</summary>
    public RpcTestClient Subscribed { get; }

    /// <summary>A viewer that never subscribed: gets the v1 notifications only.</summary>
    public RpcTestClient V1 { get; }

    public string RecordingsDir => Path.Combine(Fixture.Host.DataDir, "recordings");

    /// <param name="recordingExtra">More [recording] keys (segment_duration is 4 s).</param>
    /// <param name="extraToml">More sections, e.g. "[ffmpeg]\nstall_timeout = 3".</param>
    public static async Task<FaultRig> StartAsync(string recordingExtra = "", string extraToml = "", string storageExtra = "",
        Action<TestDirectory>? prepare = null)
    {
        var fixture = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true },
            recordingExtra: "segment_duration = 4\n" + recordingExtra, extraToml: extraToml, storageExtra: storageExtra, prepare: prepare);
        try
        {
            await MediaMtxFixture.Eventually(() => fixture.StandIn.GetPathConf(Device) is not null, "the camera's path exists", 20);
            var subscribed = await fixture.ConnectAsync(Role.Admin);
            await subscribed.SubscribeAsync(["recording.start", "recording.stop", "recording.error"]);
            var v1 = await fixture.ConnectAsync(Role.Viewer);
            return new FaultRig(fixture, subscribed, v1);
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    // ---- calls ----

    public async Task<JsonElement> CallAsync(string method, string? paramsJson = null)
    {
        using var reply = await Subscribed.CallAsync(method, paramsJson);
        return reply.RootElement.TryGetProperty("result", out var r) ? r.Clone() : throw new AssertionException($"{method} failed: {reply.RootElement}");
    }

    public async Task<JsonElement> ErrorAsync(string method, string? paramsJson = null)
    {
        using var reply = await Subscribed.CallAsync(method, paramsJson);
        return reply.RootElement.TryGetProperty("error", out var e) ? e.Clone() : throw new AssertionException($"{method} did not fail: {reply.RootElement}");
    }

    /// <summary>start_recording, then its STARTED notification; the recording id.</summary>
    public async Task<string> StartRecordingAsync()
    {
        var r = await CallAsync("start_recording", $$"""{"device":"{{Device}}"}""");
        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        var id = r.GetProperty("session_id").GetString()!;
        var started = await StatusAsync(Subscribed, "STARTED");
        Assert.That(started.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        return id;
    }

    public async Task<bool> IsRecordingAsync() => (await CallAsync("get_camera_status", $$"""{"device":"{{Device}}"}""")).GetProperty("recording").GetBoolean();

    public async Task<JsonElement> RecordingInfoAsync(string file) => await CallAsync("get_recording_info", $$"""{"filename":"{{file}}"}""");

    /// <summary>The next recording_status_update with this status (and match), skipping the others.</summary>
    public static async Task<JsonElement> StatusAsync(RpcTestClient client, string status, double seconds = 20, Func<JsonElement, bool>? match = null)
    {
        try
        {
            return await client.NextNotificationAsync("recording_status_update",
                p => p.GetProperty("status").GetString() == status && (match is null || match(p)), seconds);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no recording_status_update {status} within {seconds} s");
            throw;
        }
    }

    /// <summary>The notification a never-subscribed client got carries the v1 fields and nothing else.</summary>
    public static void AssertV1Only(JsonElement notification) =>
        Assert.That(notification.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(V1Fields), notification.ToString());

    // ---- files ----

    /// <summary>The camera's segment files, oldest first (names sort by start time).</summary>
    public IReadOnlyList<string> Files() => [.. SegmentFiles(RecordingsDir).Select(f => Path.GetFileName(f))];

    public string FullPath(string file) => Path.Combine(RecordingsDir, file);

    /// <summary>Waits until the files named by <paramref name="files"/> hold at least <paramref name="frames"/> decodable frames.</summary>
    public async Task WaitForFramesAsync(Func<IEnumerable<string>> files, int frames, double seconds = 20) =>
        await Poll.UntilAsync(() => files().Sum(f => MediaProbe.Decode(FullPath(f)).Frames) >= frames, $"{frames} frames recorded", seconds, TimeSpan.FromMilliseconds(250));

    /// <summary>Each file decodes to its end with no error line and has frames.</summary>
    public void AssertDecodeCleanly(IEnumerable<string> files) => AssertClean(files.Select(FullPath));

    /// <summary>Each file decodes to its end with no error line and has frames, and (MP4) ends at a
    /// whole fragment: ffprobe says nothing about a tail torn within the last sample, the boxes do.</summary>
    public static void AssertClean(IEnumerable<string> paths)
    {
        var decoded = paths.Select(p => MediaProbe.Decode(p)).ToList();
        TestContext.Out.WriteLine(string.Join("\n", decoded));
        Assert.That(decoded, Is.Not.Empty, "there are files to check");
        Assert.Multiple(() =>
        {
            foreach (var d in decoded)
            {
                Assert.That(d.Errors, Is.Empty, d.ToString());
                Assert.That(d.ExitCode, Is.EqualTo(0), d.ToString());
                Assert.That(d.Frames, Is.GreaterThan(0), d.ToString());
                if (d.Path.EndsWith(".mp4", StringComparison.Ordinal))
                    Assert.That(Mp4Tail.Torn(d.Path), Is.Null, $"{Path.GetFileName(d.Path)} ends at a whole fragment");
            }
        });
    }

    // ---- the recorder process ----

    /// <summary>The recording FFmpeg writing into <paramref name="recordingsDir"/> (waits until there is exactly one).</summary>
    public static async Task<int> RecorderPidAsync(string recordingsDir, double seconds = 15)
    {
        int[] found = [];
        await Poll.UntilAsync(() => (found = RecorderPids(recordingsDir)).Length == 1, "one recording FFmpeg running", seconds);
        return found[0];
    }

    /// <summary>Live FFmpeg processes running the segment muxer into <paramref name="recordingsDir"/>.</summary>
    public static int[] RecorderPids(string recordingsDir)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !ProcFs.IsAlive(pid)) continue;
            var argv = ProcFs.ReadCommandLine(pid);
            if (argv.Length > 0 && Path.GetFileName(argv[0]) == "ffmpeg" && argv.Contains("segment")
                && argv.Any(a => a.StartsWith(recordingsDir + "/", StringComparison.Ordinal)))
                pids.Add(pid);
        }
        return [.. pids];
    }

    /// <summary>
    /// The moment to kill a recorder when every file it leaves must hold video: the newest segment
    /// has just got its <paramref name="fragments"/>th whole fragment (seen with fewer on an earlier
    /// look, so this is not a stale sight of a segment about to rotate). Its next rotation is then
    /// segment_duration minus that many GOPs away (4 s segments, 1 s GOP: 2 s), which even a
    /// loaded CI box takes to notice and signal. Killed between a rotation and the new segment's
    /// first fragment FFmpeg leaves a segment holding only a header (see <see cref="WaitForFreshSegmentAsync"/>).
    /// </summary>
    public static async Task<string> WaitForFragmentsAsync(string recordingsDir, int fragments = 2, double seconds = 30)
    {
        var seenFewer = new HashSet<string>(StringComparer.Ordinal);
        string? newest = null;
        await Poll.UntilAsync(() =>
        {
            var files = SegmentFiles(recordingsDir);
            if (files.Count == 0) return false;
            newest = files[^1];
            var n = Mp4Tail.Fragments(newest);
            if (n < fragments) seenFewer.Add(newest);
            return n == fragments && seenFewer.Contains(newest);
        }, $"a segment's fragment {fragments} just written", seconds, TimeSpan.FromMilliseconds(20));
        return Path.GetFileName(newest)!;
    }

    /// <summary>Waits for a segment rotation and returns as soon as the new segment exists, before
    /// its first fragment is written (the file holds only ftyp+moov for up to a GOP).</summary>
    public static async Task<string> WaitForFreshSegmentAsync(string recordingsDir, double seconds = 30)
    {
        string? fresh = null;
        await Poll.UntilAsync(() =>
        {
            var files = SegmentFiles(recordingsDir);
            if (files.Count < 2) return false;
            fresh = files[^1];
            return Mp4Tail.Fragments(fresh) == 0 && new FileInfo(fresh).Length > 0;
        }, "a segment rotation", seconds, TimeSpan.FromMilliseconds(20));
        return Path.GetFileName(fresh)!;
    }

    /// <summary>Full paths of the camera's segment files in <paramref name="dir"/>, oldest first.</summary>
    public static List<string> SegmentFiles(string dir) =>
        Directory.Exists(dir) ? [.. Directory.GetFiles(dir, Device + "_*.mp4").Order(StringComparer.Ordinal)] : [];

    /// <summary>kill(2) straight from this process (no kill(1) to spawn: on a loaded box that can take
    /// longer than the moment chosen to signal); a negative target is a process group. Back to back:
    /// several targets are signalled within microseconds of each other.</summary>
    public static void Signal(int signal, params int[] targets)
    {
        foreach (var t in targets)
        {
            var sent = t < 0 ? ProcessInterop.SignalGroup(-t, signal) : ProcessInterop.SignalProcess(t, signal);
            Assert.That(sent, Is.True, $"signal {signal} to {(t < 0 ? "group " + -t : "process " + t)}: no such process");
        }
    }

    public static char State(int pid) => ProcFs.TryReadStat(pid, out var s) ? s.State : '-';

    // ---- a new recording after the fault ----

    /// <summary>A fresh recording starts, writes frames, stops with stopped_by_client, and its files decode cleanly.</summary>
    public async Task AssertNewRecordingWorksAsync()
    {
        var before = Files().ToHashSet();
        var id = await StartRecordingAsync();
        Assert.That(await IsRecordingAsync(), Is.True);
        IEnumerable<string> Fresh() => Files().Where(f => !before.Contains(f));
        await WaitForFramesAsync(Fresh, 10);
        var stop = await CallAsync("stop_recording", $$"""{"device":"{{Device}}"}""");
        Assert.That(stop.GetProperty("status").GetString(), Is.EqualTo("STOPPED"));
        var stopped = await StatusAsync(Subscribed, "STOPPED", match: p => p.GetProperty("recording_id").GetString() == id);
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));
        var files = Fresh().ToList();
        AssertDecodeCleanly(files);
        Assert.That((await RecordingInfoAsync(files[^1])).GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));
        Assert.That(await IsRecordingAsync(), Is.False);
    }

    public async ValueTask DisposeAsync()
    {
        await Subscribed.DisposeAsync();
        await V1.DisposeAsync();
        await Fixture.DisposeAsync();
    }
}

/// <summary>The top-level boxes of an MP4 file as the recorder writes it (ftyp, moov, then one
/// moof+mdat per fragment, mfra after a clean stop): whether it ends where a whole box ends (what
/// flush_packets promises a killed recorder leaves) and how many whole fragments it holds.</summary>
public static class Mp4Tail
{
    /// <summary>Null when the top-level boxes tile the file exactly and no moof lacks its mdat; else what is torn.</summary>
    public static string? Torn(string path) => Walk(path).Torn;

    /// <summary>Whole fragments (a moof followed by its complete mdat) in the file.</summary>
    public static int Fragments(string path) => Walk(path).Fragments;

    private static (string? Torn, int Fragments) Walk(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = f.Length;
        Span<byte> header = stackalloc byte[16];
        long at = 0;
        var previous = "";
        var fragments = 0;
        while (at < length)
        {
            if (length - at < 8) return ($"{length - at} stray byte(s) at offset {at}", fragments);
            f.Position = at;
            f.ReadExactly(header[..8]);
            long size = BinaryPrimitives.ReadUInt32BigEndian(header);
            var type = Encoding.ASCII.GetString(header[4..8]);
            if (size == 1)
            {
                if (length - at < 16) return ($"box '{type}' at offset {at}: its 64-bit size is cut off", fragments);
                f.ReadExactly(header[8..16]);
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(header[8..]);
            }
            else if (size == 0) size = length - at; // "to the end of the file"
            if (size < 8) return ($"box '{type}' at offset {at} claims {size} bytes", fragments);
            if (at + size > length) return ($"box '{type}' at offset {at} needs {size} bytes, {length - at} are there: a torn fragment", fragments);
            if (type == "mdat" && previous == "moof") fragments++;
            previous = type;
            at += size;
        }
        return (previous == "moof" ? "the last fragment's moof has no mdat" : null, fragments);
    }
}

/// <summary>Polls a condition until a deadline (never a fixed sleep standing in for the condition).</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, string what, double seconds, TimeSpan? every = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds) Assert.Fail($"timed out after {seconds} s waiting until {what}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(50));
        }
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, double seconds, TimeSpan? every = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed.TotalSeconds > seconds) Assert.Fail($"timed out after {seconds} s waiting until {what}");
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
