using System.Diagnostics;
using System.Text.Json;
using Appliance.Media.Snapshots;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaAccess;

/// <summary>
/// The whole chain for real: the MediaMTX stand-in in authMethod-http mode asks the service's hook
/// before every API call, and its RTSP relay asks it before every read and publish. The service
/// still manages its paths (API credential), its on-demand publisher still publishes (publish
/// credential), its recorder and snapshots still read (internal read credential); a viewer needs
/// a credential of the appliance's own.
/// </summary>
[NonParallelizable]
public class MediaAuthEndToEndTests
{
    private MediaMtxFixture _f = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) }, authHook: true);
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "the service created its path through the hook-guarded API");
    }

    [OneTimeTearDown]
    public async Task Stop() => await _f.DisposeAsync();

    private IEnumerable<(string Action, string User, int? Status)> Asked(string action) =>
        _f.StandIn.AuthHttp!.Asked.Where(a => a.Request.Action == action).Select(a => (a.Request.Action, a.Request.User, a.Status));

    [Test]
    public void TheServicesApiCallsCarryItsApiCredentialAndAreAllowed()
    {
        var api = _f.Host.Host.MediaMtx.Credentials.Api;
        var calls = Asked("api").ToList();
        Assert.That(calls, Is.Not.Empty);
        Assert.That(calls, Has.All.EqualTo(("api", api.User, (int?)200)));
    }

    [Test]
    public async Task AReaderWithoutACredentialIsRefusedAndOneWithAViewerJwtGetsTheStream()
    {
        var refused = await ProbeAsync(_f.StandIn.RtspUrl("virtual0"));
        Assert.That(refused.ExitCode, Is.Not.EqualTo(0), "no credential: no stream");
        Assert.That(refused.Stderr, Does.Contain("401"));

        var wrong = await ProbeAsync(WithCredential("any", "not-a-token"));
        Assert.That(wrong.ExitCode, Is.Not.EqualTo(0), "a wrong credential: no stream");

        // The JWT as the RTSP password with any user name. GStreamer's rtspsrc: FFmpeg's RTSP client
        // cuts user:password at 127 characters, shorter than our JWTs (see docs/api.md).
        var jwt = _f.Host.Token(Role.Viewer);
        var viewer = await RunAsync(RtspRelayPython, Path.Combine(AppContext.BaseDirectory, "media", "rtsp-read.py"), WithCredential("any", jwt));
        Assert.That(viewer.ExitCode, Is.EqualTo(0), viewer.Stdout + viewer.Stderr + "\n" + AskedText());

        // The relay asked the hook as MediaMTX does: first without credentials (401, then the
        // player retried with them), the publisher with this boot's publish credential.
        var reads = Asked("read").ToList();
        Assert.That(reads, Does.Contain(("read", "", (int?)401)));
        Assert.That(reads, Does.Contain(("read", "any", (int?)403)));
        Assert.That(reads, Does.Contain(("read", "any", (int?)200)));
        Assert.That(Asked("publish"), Does.Contain(("publish", _f.Host.Host.MediaMtx.Credentials.Publish.User, (int?)200)));
    }

    [Test]
    public async Task FfmpegReadersUseTheTokenQueryForAJwtOrAnApiKeyAsThePassword()
    {
        var byQuery = await ProbeAsync(_f.StandIn.RtspUrl("virtual0") + "?token=" + Uri.EscapeDataString(_f.Host.Token(Role.Viewer)));
        Assert.That(byQuery.ExitCode, Is.EqualTo(0), byQuery.Stderr + "\n" + AskedText());
        using (var json = JsonDocument.Parse(byQuery.Stdout))
        {
            var stream = json.RootElement.GetProperty("streams")[0];
            Assert.That((stream.GetProperty("codec_name").GetString(), stream.GetProperty("width").GetInt32()), Is.EqualTo(("h264", 320)));
        }

        var (_, key) = _f.Host.Host.Authenticator.ApiKeys.Add(Role.Viewer, "technician laptop");
        var byKey = await ProbeAsync(WithCredential("any", key));
        Assert.That(byKey.ExitCode, Is.EqualTo(0), byKey.Stderr + "\n" + AskedText());
    }

    [Test]
    public async Task TheRecorderAndTheSnapshotTakerStillReadTheStream()
    {
        var camera = _f.Host.Host.Cameras.Find("virtual0")!;
        var session = await _f.Host.Host.Recorder.StartAsync(camera, TimeSpan.FromSeconds(30), Appliance.Media.Recordings.RecordingOptions.StreamCopy("mp4"), CancellationToken.None);
        try
        {
            // While the recording keeps the stream live, the snapshot comes from the stream too.
            await MediaMtxFixture.Eventually(() => _f.StandIn.GetPath("virtual0")?["ready"]?.GetValue<bool>() == true, "the path is ready");
            var snapshot = await _f.Host.Host.Snapshots.TakeAsync(camera, new SnapshotRequest(null, null, null, null, null), CancellationToken.None);
            Assert.That(snapshot.Error, Is.Null);
            Assert.That(snapshot.Input, Is.EqualTo("stream"));
            Assert.That(snapshot.FileSize, Is.GreaterThan(0));
        }
        finally
        {
            await _f.Host.Host.Recorder.StopAsync(camera.Device, CancellationToken.None);
        }
        var file = Path.Combine(session.Directory, session.Files[0]);
        Assert.That(new FileInfo(file).Length, Is.GreaterThan(0));
        var internalRead = _f.Host.Host.MediaMtx.Credentials.InternalRead.User;
        Assert.That(Asked("read").Count(a => a == ("read", internalRead, 200)), Is.GreaterThanOrEqualTo(2), "the recorder and the snapshot each read with the internal credential");
    }

    private string WithCredential(string user, string password) =>
        _f.StandIn.RtspUrl("virtual0").Replace("rtsp://", $"rtsp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@");

    /// <summary>The interpreter with the GStreamer bindings (as the stand-in's relay uses).</summary>
    private const string RtspRelayPython = "/usr/bin/python3";

    private string AskedText() => "asked: " + string.Join("; ", _f.StandIn.AuthHttp!.Asked.Select(a => $"{a.Request.Action} {a.Request.User} {a.Status}"));

    private static Task<(int ExitCode, string Stdout, string Stderr)> ProbeAsync(string url) =>
        RunAsync("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "json", url);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, params string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var probe = Process.Start(psi)!;
        var stdout = probe.StandardOutput.ReadToEndAsync();
        var stderr = probe.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await probe.WaitForExitAsync(timeout.Token);
        return (probe.ExitCode, await stdout, await stderr);
    }
}
