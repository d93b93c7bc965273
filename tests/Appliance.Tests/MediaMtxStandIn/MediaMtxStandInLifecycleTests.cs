using System.Net.Sockets;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>Stop and restart behave like killing and restarting the MediaMTX process.</summary>
public class MediaMtxStandInLifecycleTests
{
    [Test]
    public async Task StoppedStandInRefusesConnections()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 });
        using var client = new StandInClient(standIn);
        Assert.That((await client.GetAsync("/v3/config/paths/list")).Status, Is.EqualTo(200));

        await standIn.StopAsync();

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("/v3/config/paths/list"));
        Assert.That(refused!.InnerException, Is.InstanceOf<SocketException>());
        Assert.That(((SocketException)refused.InnerException!).SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
        Assert.That(standIn.IsRunning, Is.False);
    }

    [Test]
    public async Task RestartKeepsThePortAndLosesWhatTheApiConfigured()
    {
        var initial = new Dictionary<string, string> { ["from-yml"] = """{"record":true}""" };
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, InitialPaths = initial });
        using var client = new StandInClient(standIn);
        var port = standIn.ApiPort;
        var started = (string?)(await client.GetAsync("/v3/info")).Json["started"];
        await client.PostAsync("/v3/config/paths/add/from-api", "{}");
        await client.PatchAsync("/v3/config/global/patch", """{"logLevel":"debug"}""");
        Assert.That(standIn.PathConfNames, Is.EqualTo(new[] { "from-api", "from-yml" }));

        await standIn.RestartAsync();

        Assert.That(standIn.ApiPort, Is.EqualTo(port));
        var list = await client.GetAsync("/v3/config/paths/list");
        Assert.That(list.Json["items"]!.AsArray().Select(i => (string?)i!["name"]), Is.EqualTo(new[] { "from-yml" }));
        Assert.That((string?)(await client.GetAsync("/v3/config/global/get")).Json["logLevel"], Is.EqualTo("info"));
        Assert.That((string?)(await client.GetAsync("/v3/info")).Json["started"], Is.Not.EqualTo(started));
    }

    [Test]
    public async Task RestartAfterStopComesBack()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 });
        using var client = new StandInClient(standIn);
        await standIn.StopAsync();

        await standIn.RestartAsync();

        Assert.That((await client.GetAsync("/v3/config/paths/list")).Status, Is.EqualTo(200));
    }

    [Test]
    public async Task RecordingsSurviveARestartButAreListedOnlyForConfiguredPaths()
    {
        var initial = new Dictionary<string, string> { ["camera0"] = "{}" };
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, InitialPaths = initial });
        using var client = new StandInClient(standIn);
        var start = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        standIn.AddRecordingSegment("camera0", start);
        standIn.AddRecordingSegment("gone", start);

        await standIn.RestartAsync();
        var list = await client.GetAsync("/v3/recordings/list");
        var get = await client.GetAsync("/v3/recordings/get/camera0");
        var badStart = await client.DeleteAsync("/v3/recordings/deletesegment?path=camera0&start=yesterday");
        var deleted = await client.DeleteAsync("/v3/recordings/deletesegment?path=camera0&start=2025-01-02T03:04:05Z");
        var again = await client.DeleteAsync("/v3/recordings/deletesegment?path=camera0&start=2025-01-02T03:04:05Z");

        Assert.That(list.Json["items"]!.AsArray().Select(i => (string?)i!["name"]), Is.EqualTo(new[] { "camera0" }));
        Assert.That((string?)get.Json["segments"]![0]!["start"], Is.EqualTo("2025-01-02T03:04:05Z"));
        Assert.That(badStart.Status, Is.EqualTo(400));
        Assert.That(badStart.Error, Does.StartWith("invalid 'start' parameter"));
        Assert.That(deleted.Status, Is.EqualTo(200));
        Assert.That(again.Status, Is.EqualTo(400));
        Assert.That(again.Error, Does.EndWith("no such file or directory"));
    }
}
