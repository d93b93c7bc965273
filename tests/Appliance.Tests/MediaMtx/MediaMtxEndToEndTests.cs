using System.Diagnostics;
using System.Text.Json;
using Appliance.MediaMtx;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaMtx;

/// <summary>
/// The whole media path for real: the service creates the virtual camera's path, a reader
/// (ffprobe) asks the RTSP relay for it, the stand-in runs the service's runOnDemand command
/// (real FFmpeg encoding a lavfi test pattern) which publishes to the relay, and the reader gets
/// H.264 video at the camera's resolution.
/// </summary>
[NonParallelizable]
public class MediaMtxEndToEndTests
{
    [Test]
    public async Task AReaderTriggersTheOnDemandPublisherAndReceivesTheCamerasVideo()
    {
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) });
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");

        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height",
                     "-of", "json", f.StandIn.RtspUrl("virtual0") })
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var probe = Process.Start(psi)!;
        var stdout = probe.StandardOutput.ReadToEndAsync();
        var stderr = probe.StandardError.ReadToEndAsync();
        Assert.That(probe.WaitForExit(30_000), Is.True, "ffprobe hung");
        Assert.That(probe.ExitCode, Is.EqualTo(0), stderr.Result + "\n" + string.Join("\n", f.StandIn.GetOnDemandStatus("virtual0").OutputTail));
        using var json = JsonDocument.Parse(stdout.Result);
        var stream = json.RootElement.GetProperty("streams")[0];
        Assert.That((stream.GetProperty("codec_name").GetString(), stream.GetProperty("width").GetInt32(), stream.GetProperty("height").GetInt32()),
            Is.EqualTo(("h264", 320, 240)));
        TestContext.Out.WriteLine($"cold on-demand open to first probe result: {sw.ElapsedMilliseconds} ms");

        // While published, the service sees the path ready through the API.
        var status = await f.Host.Host.MediaMtx.GetPathAsync("virtual0", CancellationToken.None);
        Assert.That(status?.Source?.Type, Is.Not.Null);
    }
}
