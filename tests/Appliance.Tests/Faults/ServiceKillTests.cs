using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.Faults;

/// <summary>
/// The service itself dies mid-recording. It runs as its own process (the built program, or
/// APPLIANCE_BINARY, e.g. the Native AOT binary) in its own session and process group (setsid),
/// against an in-test MediaMTX stand-in with its RTSP relay and a virtual camera.
/// <list type="bullet">
/// <item>A "power cut": the service and its recorder FFmpeg are SIGKILLed at once. FFmpeg leads a
/// process group of its own (the service starts it through setsid so it can signal the group), so
/// the cut is kill(2) of both groups, back to back. The files end at a whole fragment and decode cleanly (the
/// page cache survives here, which a real power cut's does not: recording.fsync_interval covers that).</item>
/// <item>Only the service is SIGKILLed: its recorder FFmpeg is orphaned and keeps recording; the
/// restarted service stops it (ChildProcessRegistry.ReapLeftovers) and the file is finished.</item>
/// </list>
/// Either way the restarted service on the same data directory starts, lists the recording, and records again.
/// </summary>
[NonParallelizable]
public class ServiceKillTests
{
    private const string Secret = "fault-matrix-service-secret-0123456789abcdef";

    private TestDirectory _dir = null!;
    private MediaMtxStandIn _standIn = null!;
    private readonly List<ServiceProcess> _services = [];

    private string RecordingsDir => _dir.File("recordings");

    [SetUp]
    public async Task StartMediaServer()
    {
        _dir = new TestDirectory();
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { UseRelay = true, RtspPort = 0 });
    }

    [TearDown]
    public async Task StopEverything()
    {
        foreach (var s in _services) await s.DisposeAsync();
        _services.Clear(); // NUnit runs every test of the fixture on one instance
        await _standIn.DisposeAsync();
        // A recorder a failed test left behind must not outlive the run.
        foreach (var pid in FaultRig.RecorderPids(RecordingsDir)) try { Process.GetProcessById(pid).Kill(); } catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        _dir.Dispose();
    }

    [Test]
    public async Task APowerCutKillsServiceAndRecorderAtOnceTheFilesDecodeAndTheRestartedServiceRecordsAgain()
    {
        var service = await StartServiceAsync();
        var (id, recorder) = await RecordAsync(service);

        // Both process groups within microseconds: nothing gets to finish anything.
        Assert.That(ProcFs.TryReadStat(recorder, out var rs) && rs.ProcessGroup == recorder, Is.True, "the recorder leads its own process group");
        FaultRig.Signal(ProcessInterop.SigKill, -service.ProcessGroup, -recorder);
        Assert.That(await service.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(128 + 9), "killed by SIGKILL");
        await Poll.UntilAsync(() => !ProcFs.IsAlive(recorder), $"the recorder {recorder} is gone", 10);

        var files = Files();
        Assert.That(files, Is.Not.Empty);
        FaultRig.AssertClean(files.Select(f => Path.Combine(RecordingsDir, f)));

        var restarted = await StartServiceAsync();
        Assert.That(restarted.Output, Does.Not.Contain("left running by a previous run"), "nothing was left to reap");
        await AssertListsAndRecordsAgainAsync(restarted, files, id);
    }

    [Test]
    public async Task AKilledServiceLeavesItsRecorderRunningAndTheRestartedServiceStopsIt()
    {
        var service = await StartServiceAsync();
        var (id, recorder) = await RecordAsync(service);

        FaultRig.Signal(ProcessInterop.SigKill, service.Pid);
        Assert.That(await service.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(128 + 9), "killed by SIGKILL");
        // The orphan: re-parented, still recording into the file.
        Assert.That(ProcFs.IsAlive(recorder), Is.True, $"the recorder {recorder} outlived the service (state {FaultRig.State(recorder)})");
        var size = Files().Sum(f => new FileInfo(Path.Combine(RecordingsDir, f)).Length);
        await Poll.UntilAsync(() => Files().Sum(f => new FileInfo(Path.Combine(RecordingsDir, f)).Length) > size, "the orphaned recorder still writes", 15);

        var restarted = await StartServiceAsync();
        // Reaped before the service serves: SIGTERM (FFmpeg finishes its file), SIGKILL after the grace.
        Assert.That(ProcFs.IsAlive(recorder), Is.False, $"the restarted service stopped the orphaned recorder {recorder} (state {FaultRig.State(recorder)})");
        Assert.That(restarted.Output, Does.Contain($"(pid {recorder}) left running by a previous run"));
        Assert.That(FaultRig.RecorderPids(RecordingsDir), Is.Empty);

        var files = Files();
        FaultRig.AssertClean(files.Select(f => Path.Combine(RecordingsDir, f)));
        await AssertListsAndRecordsAgainAsync(restarted, files, id);
    }

    // Starts a recording and waits until a segment has just got its second whole fragment (see
    // FaultRig.WaitForFragmentsAsync); its id and the recorder's pid.
    private async Task<(string Id, int Recorder)> RecordAsync(ServiceProcess service)
    {
        await using var client = await service.ConnectAsync();
        await Poll.UntilAsync(() => _standIn.GetPathConf(FaultRig.Device) is not null, "the service configured the camera's path", 30);
        using var reply = await client.CallAsync("start_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
        var r = reply.RootElement.TryGetProperty("result", out var ok) ? ok : throw new AssertionException(reply.RootElement.ToString());
        Assert.That(r.GetProperty("status").GetString(), Is.EqualTo("STARTED"));
        var recorder = await FaultRig.RecorderPidAsync(RecordingsDir);
        await FaultRig.WaitForFragmentsAsync(RecordingsDir);
        return (r.GetProperty("session_id").GetString()!, recorder);
    }

    private async Task AssertListsAndRecordsAgainAsync(ServiceProcess service, IReadOnlyList<string> before, string oldId)
    {
        await using var client = await service.ConnectAsync();
        await client.SubscribeAsync(["recording.start", "recording.stop", "recording.error"]);
        using (var list = await client.CallAsync("list_recordings"))
        {
            var names = list.RootElement.GetProperty("result").GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()).ToList();
            Assert.That(names, Is.SupersetOf(before), "the restarted service lists what was recorded before it died");
        }
        using (var status = await client.CallAsync("get_camera_status", $$"""{"device":"{{FaultRig.Device}}"}"""))
            Assert.That(status.RootElement.GetProperty("result").GetProperty("recording").GetBoolean(), Is.False);

        await Poll.UntilAsync(() => _standIn.GetPathConf(FaultRig.Device) is not null, "the service configured the camera's path", 30);
        using var start = await client.CallAsync("start_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
        var r = start.RootElement.TryGetProperty("result", out var ok) ? ok : throw new AssertionException(start.RootElement.ToString());
        var id = r.GetProperty("session_id").GetString()!;
        Assert.That(id, Is.Not.EqualTo(oldId));
        await FaultRig.StatusAsync(client, "STARTED");
        IEnumerable<string> Fresh() => Files().Where(f => !before.Contains(f));
        await Poll.UntilAsync(() => Fresh().Sum(f => MediaOps.MediaProbe.Decode(Path.Combine(RecordingsDir, f)).Frames) >= 10,
            "the new recording has frames", 20, TimeSpan.FromMilliseconds(250));
        (await client.CallAsync("stop_recording", $$"""{"device":"{{FaultRig.Device}}"}""")).Dispose();
        var stopped = await FaultRig.StatusAsync(client, "STOPPED");
        Assert.That(stopped.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));
        var fresh = Fresh().ToList();
        FaultRig.AssertClean(fresh.Select(f => Path.Combine(RecordingsDir, f)));
        using (var info = await client.CallAsync("get_recording_info", $$"""{"filename":"{{fresh[^1]}}"}"""))
            Assert.That(info.RootElement.GetProperty("result").GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));

        service.Signal(ProcessInterop.SigTerm);
        Assert.That(await service.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.EqualTo(0), service.Output);
    }

    private IReadOnlyList<string> Files() => [.. FaultRig.SegmentFiles(RecordingsDir).Select(f => Path.GetFileName(f))];

    private async Task<ServiceProcess> StartServiceAsync()
    {
        var port = FreePort();
        var config = _dir.Write("appliance.toml", $"""
            [server]
            environment = "production"
            host = "127.0.0.1"
            port = {port}
            [security]
            jwt_secret = "{Secret}"
            api_keys_file = "state/api-keys.json"
            [camera]
            discovery_enabled = false
            [[camera.virtual]]
            name = "Demo"
            resolution = "320x240"
            fps = 15
            [mediamtx]
            api_port = {_standIn.ApiPort}
            rtsp_port = {_standIn.RtspPort}
            auth_hook_port = {FreePort()}
            request_timeout = 1
            health_check_interval = 0.5
            [recording]
            path = "recordings"
            segment_duration = 4
            [snapshots]
            path = "snapshots"
            [storage]
            state_dir = "state"
            [logging]
            level = "info"
            format = "console"
            {RunningHost.NoResourceRefusals}
            """);
        var service = ServiceProcess.Start(config, port);
        _services.Add(service);
        await service.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return service;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The service as its own process, in its own session and process group (setsid).</summary>
    private sealed class ServiceProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly int _port;

        private ServiceProcess(Process process, int port)
        {
            _process = process;
            _port = port;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Pid => _process.Id;
        public string Output { get { lock (_output) return _output.ToString(); } }

        /// <summary>setsid execs in place (the child of a .NET Process is never a group leader): the service leads its group.</summary>
        public int ProcessGroup
        {
            get
            {
                Assert.That(ProcFs.TryReadStat(Pid, out var stat), Is.True, "the service runs");
                Assert.That(stat.ProcessGroup, Is.EqualTo(Pid), "the service leads its own process group");
                return stat.ProcessGroup;
            }
        }

        public static ServiceProcess Start(string config, int port)
        {
            var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
            var binary = Environment.GetEnvironmentVariable("APPLIANCE_BINARY");
            if (binary is { Length: > 0 }) psi.ArgumentList.Add(binary);
            else
            {
                psi.ArgumentList.Add("dotnet");
                psi.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "appliance.dll"));
            }
            psi.ArgumentList.Add("--config");
            psi.ArgumentList.Add(config);
            foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("APPLIANCE_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(k);
            return new ServiceProcess(Process.Start(psi) ?? throw new InvalidOperationException("could not start the service"), port);
        }

        public async Task WaitUntilReadyAsync(TimeSpan timeout)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited) Assert.Fail($"the service exited ({_process.ExitCode}):\n{Output}");
                try
                {
                    using var ready = await http.GetAsync($"http://127.0.0.1:{_port}/health/ready");
                    if (ready.StatusCode == HttpStatusCode.OK) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                if (clock.Elapsed > timeout) Assert.Fail($"the service was not ready within {timeout.TotalSeconds} s:\n{Output}");
                await Task.Delay(100);
            }
        }

        public async Task<RpcTestClient> ConnectAsync()
        {
            var client = await RpcTestClient.ConnectAsync(new Uri($"ws://127.0.0.1:{_port}/ws"));
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var token = HandMadeJwt.Make("""{"alg":"HS256","typ":"JWT"}""", HandMadeJwt.Claims("admin", now, now + 3600, user: "fault-matrix"), Secret);
            using var reply = await client.CallAsync("authenticate", $$"""{"auth_token":"{{token}}"}""");
            if (!reply.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean())
                throw new InvalidOperationException("authentication failed: " + reply.RootElement);
            return client;
        }

        public void Signal(int signal) => FaultRig.Signal(signal, Pid);

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { Assert.Fail($"the service did not exit within {timeout.TotalSeconds} s:\n{Output}"); }
            return _process.ExitCode;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            TestContext.Out.WriteLine($"--- service {Pid} ---\n{Output}");
            _process.Dispose();
        }
    }
}
