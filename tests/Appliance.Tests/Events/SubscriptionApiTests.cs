using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Events;

/// <summary>subscribe_events, unsubscribe_events and get_subscription_stats over the real host: parameter
/// checking, what the replies say, and who may call them.</summary>
[NonParallelizable]
public class SubscriptionApiTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(probe: Cameras.FakeCameras.Probe(), prepare: d =>
    {
        Directory.CreateDirectory(d.File("dev"));
        File.WriteAllText(d.File("dev/video0"), "cam-a");
    });

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r.Clone() : throw new AssertionException(d.RootElement.ToString());

    private static (int Code, string Message, string? Field) Error(JsonDocument d)
    {
        var e = d.RootElement.GetProperty("error");
        var field = e.TryGetProperty("data", out var data) && data.TryGetProperty("field", out var f) ? f.GetString() : null;
        return (e.GetProperty("code").GetInt32(), e.GetProperty("message").GetString()!, field);
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    [Test]
    public async Task SubscribeExpandsAliasesAddsUpAndEchoesTheFilter()
    {
        await using var c = await _host.ConnectAsync(Role.Viewer);
        using (var r = await c.CallAsync("subscribe_events", """{"topics":["camera_status_update"]}"""))
        {
            Assert.That(Result(r).GetProperty("subscribed").GetBoolean(), Is.True);
            Assert.That(Strings(Result(r).GetProperty("topics")), Is.EqualTo(new[] { "camera.connected", "camera.disconnected", "camera.status_change" }));
            Assert.That(Result(r).GetProperty("filters").ToString(), Is.EqualTo("{}"));
        }
        using (var r = await c.CallAsync("subscribe_events", """{"topics":["recording.progress"],"filters":{"device":"camera0"}}"""))
        {
            Assert.That(Strings(Result(r).GetProperty("topics")), Does.Contain("camera.connected").And.Contain("recording.progress"), "topics add up");
            Assert.That(Result(r).GetProperty("filters").GetProperty("device").GetString(), Does.EndWith("/dev/video0"), "cameraN names the camera; replies keep the v1 form");
        }
    }

    [TestCase("""{}""", "topics", "'topics' is required")]
    [TestCase("""{"topics":"camera.connected"}""", "topics", "must be an array")]
    [TestCase("""{"topics":[]}""", "topics", "at least one")]
    [TestCase("""{"topics":[1]}""", "topics", "must be a string")]
    [TestCase("""{"topics":["camera.connected","camera.exploded"]}""", "topics", "unknown topic 'camera.exploded'")]
    [TestCase("""{"topics":["snapshot.taken"],"filters":"camera0"}""", "filters", "must be an object")]
    [TestCase("""{"topics":["snapshot.taken"],"filters":{"camera":"camera0"}}""", "filters.camera", "unknown filter 'camera'")]
    [TestCase("""{"topics":["snapshot.taken"],"filters":{"device":7}}""", "filters.device", "must be a string")]
    [TestCase("""{"topics":["snapshot.taken"],"filters":{"device":"/etc/passwd"}}""", "filters.device", "/dev/videoN, cameraN or virtualN")]
    public async Task BadParamsAreMinus32602NamingTheField(string parameters, string field, string message)
    {
        await using var c = await _host.ConnectAsync(Role.Viewer);
        using var r = await c.CallAsync("subscribe_events", parameters);
        var e = Error(r);
        Assert.That((e.Code, e.Field), Is.EqualTo((-32602, field)), e.Message);
        Assert.That(e.Message, Does.Contain(message));
        using var stats = await c.CallAsync("get_subscription_stats");
        Assert.That(Result(stats).GetProperty("client_topics").GetArrayLength(), Is.Zero, "a refused subscribe changes nothing");
    }

    [Test]
    public async Task UnsubscribeRefusesUnknownTopicsToo()
    {
        await using var c = await _host.ConnectAsync(Role.Viewer);
        using var r = await c.CallAsync("unsubscribe_events", """{"topics":["nope"]}""");
        Assert.That(Error(r).Code, Is.EqualTo(-32602));
        Assert.That(Error(r).Message, Does.Contain("unknown topic 'nope'"));
    }

    [Test]
    public async Task StatsCountClientsAndTopics()
    {
        await using var a = await _host.ConnectAsync(Role.Viewer);
        await using var b = await _host.ConnectAsync(Role.Viewer);
        await using var never = await _host.ConnectAsync(Role.Viewer);
        await a.SubscribeAsync(["snapshot.taken", "system.health"]);
        await b.SubscribeAsync(["snapshot.taken"]);
        using var r = await a.CallAsync("get_subscription_stats");
        var stats = Result(r);
        var global = stats.GetProperty("global_stats");
        Assert.That(global.GetProperty("active_clients").GetInt32(), Is.EqualTo(2));
        Assert.That(global.GetProperty("total_subscriptions").GetInt32(), Is.EqualTo(3));
        Assert.That(global.GetProperty("topic_counts").GetProperty("snapshot.taken").GetInt32(), Is.EqualTo(2));
        Assert.That(global.GetProperty("topic_counts").GetProperty("system.health").GetInt32(), Is.EqualTo(1));
        Assert.That(global.GetProperty("topic_counts").GetProperty("recording.progress").GetInt32(), Is.Zero);
        Assert.That(Strings(stats.GetProperty("client_topics")), Is.EqualTo(new[] { "snapshot.taken", "system.health" }));
        Assert.That(stats.GetProperty("client_id").GetString(), Does.StartWith("c"));
        Assert.That(stats.GetProperty("client_dropped_events").GetInt64(), Is.Zero);
    }

    [Test]
    public async Task AnUnauthenticatedConnectionMayNotSubscribeButACallTokenAuthenticatesIt()
    {
        await using var c = await _host.ConnectAsync();
        using (var r = await c.CallAsync("subscribe_events", """{"topics":["camera.connected"]}"""))
            Assert.That(Error(r).Code, Is.EqualTo(-32001));
        using (var r = await c.CallAsync("subscribe_events", $$"""{"topics":["camera.connected"],"auth_token":"{{_host.Token(Role.Viewer)}}"}"""))
            Assert.That(Result(r).GetProperty("subscribed").GetBoolean(), Is.True);
        File.WriteAllText(Path.Combine(_host.DevDir, "video4"), "cam-b");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonDocument? got = null;
        while (got is null && DateTime.UtcNow < deadline)
        {
            if (!c.Notifications.TryDequeue(out got)) await Task.Delay(20);
        }
        Assert.That(got, Is.Not.Null, "the credential given with subscribe_events lets the notifications through");
        Assert.That(got!.RootElement.GetProperty("params").GetProperty("event").GetString(), Is.EqualTo("camera.connected"));
        File.Delete(Path.Combine(_host.DevDir, "video4"));
    }

    [Test]
    public async Task CameraNIsAcceptedWhereverADeviceIs()
    {
        await using var c = await _host.ConnectAsync(Role.Operator);
        using var status = await c.CallAsync("get_camera_status", """{"device":"camera0"}""");
        Assert.That(Result(status).GetProperty("device").GetString(), Does.EndWith("/dev/video0"), "replies keep the v1 form");
        using var caps = await c.CallAsync("get_camera_capabilities", """{"device":"camera0"}""");
        Assert.That(Result(caps).GetProperty("device").GetString(), Does.EndWith("/dev/video0"));
        using var stop = await c.CallAsync("stop_recording", """{"device":"camera0"}""");
        Assert.That(Error(stop).Message, Does.Contain("No recording in progress"), "found the camera, had nothing to stop");
        using var missing = await c.CallAsync("get_camera_status", """{"device":"camera9"}""");
        Assert.That(Error(missing).Code, Is.EqualTo(-32004));
    }
}
