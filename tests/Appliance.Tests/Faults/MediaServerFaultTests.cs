using Appliance.Rpc;

namespace Appliance.Tests.Faults;

/// <summary>
/// MediaMTX goes away mid-recording (the stand-in stopped: API, on-demand publishers and RTSP relay
/// gone) and comes back (restarted on the same ports, with none of the paths the service had
/// configured). The recording ends FAILED media_server_lost with a clean file; once the media
/// server is back a new recording works, and with restart_on_failure the recording resumes by itself.
/// </summary>
[NonParallelizable]
public class MediaServerFaultTests
{
    [Test]
    public async Task TheMediaServerGoingEndsTheRecordingAsMediaServerLostAndANewOneWorksOnceItIsBack()
    {
        await using var rig = await FaultRig.StartAsync();
        var id = await rig.StartRecordingAsync();
        await rig.WaitForFramesAsync(rig.Files, 20);

        await rig.Fixture.StandIn.StopAsync();

        var failed = await FaultRig.StatusAsync(rig.Subscribed, "FAILED", seconds: 20);
        Assert.That(failed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(failed.GetProperty("reason").GetString(), Is.EqualTo("media_server_lost"), failed.ToString());
        Assert.That(failed.TryGetProperty("restarting", out _), Is.False);
        FaultRig.AssertV1Only(await FaultRig.StatusAsync(rig.V1, "FAILED"));
        Assert.That(await rig.IsRecordingAsync(), Is.False, "get_camera_status answers while MediaMTX is down: not recording");
        Assert.That(FaultRig.RecorderPids(rig.RecordingsDir), Is.Empty);
        var files = rig.Files();
        rig.AssertDecodeCleanly(files);
        Assert.That((await rig.RecordingInfoAsync(files[^1])).GetProperty("reason").GetString(), Is.EqualTo("media_server_lost"));

        // While it is down a start is refused (not accepted and failed later).
        var refused = await rig.ErrorAsync("start_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
        Assert.That(refused.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCode.MediaServerUnavailable), refused.ToString());

        await rig.Fixture.StandIn.RestartAsync();
        await WaitUntilBackAsync(rig);
        await rig.AssertNewRecordingWorksAsync();
    }

    [Test]
    public async Task WithRestartOnFailureTheRecordingResumesByItselfOnceTheMediaServerIsBack()
    {
        await using var rig = await FaultRig.StartAsync(recordingExtra: "restart_on_failure = true");
        var id = await rig.StartRecordingAsync();
        await rig.WaitForFramesAsync(rig.Files, 20);

        await rig.Fixture.StandIn.StopAsync();

        var failed = await FaultRig.StatusAsync(rig.Subscribed, "FAILED", seconds: 20);
        Assert.That(failed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(failed.GetProperty("reason").GetString(), Is.EqualTo("media_server_lost"), failed.ToString());
        Assert.That(failed.GetProperty("restarting").GetBoolean(), Is.True);
        var before = rig.Files();
        rig.AssertDecodeCleanly(before);

        await rig.Fixture.StandIn.RestartAsync();

        // Nobody asks: the recording resumes when the media server (and the camera's path) is back.
        var resumed = await FaultRig.StatusAsync(rig.Subscribed, "STARTED", seconds: 45);
        Assert.That(resumed.GetProperty("resumed").GetBoolean(), Is.True, resumed.ToString());
        Assert.That(resumed.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(before, Does.Not.Contain(resumed.GetProperty("segment").GetString()));
        IEnumerable<string> After() => rig.Files().Where(f => !before.Contains(f));
        await rig.WaitForFramesAsync(After, 20);

        await rig.CallAsync("stop_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
        var stopped = await FaultRig.StatusAsync(rig.Subscribed, "STOPPED");
        Assert.That(stopped.GetProperty("recording_id").GetString(), Is.EqualTo(id));
        Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));
        Assert.That(await rig.IsRecordingAsync(), Is.False);
        var files = rig.Files();
        rig.AssertDecodeCleanly(files);
        Assert.That((await rig.RecordingInfoAsync(before[^1])).GetProperty("reason").GetString(), Is.EqualTo("media_server_lost"));
        Assert.That((await rig.RecordingInfoAsync(files[^1])).GetProperty("reason").GetString(), Is.EqualTo("stopped_by_client"));

        await rig.AssertNewRecordingWorksAsync();
    }

    // Back = the service's MediaMTX component runs again and it has re-created the camera's path.
    private static async Task WaitUntilBackAsync(FaultRig rig) =>
        await Poll.UntilAsync(async () =>
            (await rig.CallAsync("get_status")).GetProperty("components").GetProperty("mediamtx_controller").GetString() == "running"
            && rig.Fixture.StandIn.GetPathConf(FaultRig.Device) is not null,
            "MediaMTX is back and the camera's path re-created", 30, TimeSpan.FromMilliseconds(250));
}
