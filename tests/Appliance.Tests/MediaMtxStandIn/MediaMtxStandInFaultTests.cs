using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>Injected faults reach a real HttpClient as the real failures would.</summary>
public class MediaMtxStandInFaultTests
{
    private MediaMtxStandIn _standIn = null!;

    [SetUp]
    public async Task StartAsync() =>
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, InitialPaths = new Dictionary<string, string> { ["camera0"] = "{}" } });

    [TearDown]
    public async Task StopAsync() => await _standIn.DisposeAsync();

    [Test]
    public async Task DelayLongerThanTheClientTimeoutTimesTheClientOut()
    {
        using var client = new StandInClient(_standIn, TimeSpan.FromMilliseconds(300));
        _standIn.Faults.Add(Fault.Slow(TimeSpan.FromSeconds(5)));
        var clock = Stopwatch.StartNew();

        var timedOut = await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetAsync("/v3/config/paths/list"));

        Assert.That(timedOut!.InnerException, Is.InstanceOf<TimeoutException>());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
        var logged = await Eventually.HoldsAsync(() => _standIn.Exchanges.Entries, e => e.Count == 1, TimeSpan.FromSeconds(5), "the abandoned request is logged");
        Assert.That(logged[0].Status, Is.Null, "no answer was sent");
        Assert.That(logged[0].Fault, Is.EqualTo(FaultKind.Delay));
    }

    [Test]
    public async Task ShortDelayStillAnswersNormally()
    {
        using var client = new StandInClient(_standIn);
        _standIn.Faults.Add(Fault.Slow(TimeSpan.FromMilliseconds(400)).Times(1));
        var clock = Stopwatch.StartNew();

        var slow = await client.GetAsync("/v3/config/paths/get/camera0");
        var slowTook = clock.Elapsed;
        var fast = await client.GetAsync("/v3/config/paths/get/camera0");

        Assert.That(slow.Status, Is.EqualTo(200));
        Assert.That(slowTook, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(350)));
        Assert.That(fast.Body, Is.EqualTo(slow.Body));
        Assert.That(_standIn.Faults.Active, Is.Empty, "a Times(1) fault is used up");
    }

    [Test]
    public async Task ForcedStatusAnswersThatStatusWithAnErrorBodyForTheGivenCount()
    {
        using var client = new StandInClient(_standIn);
        _standIn.Faults.Add(Fault.Status(500).ForPath("/v3/config/paths/add").Times(2));

        var first = await client.PostAsync("/v3/config/paths/add/camera1", "{}");
        var other = await client.GetAsync("/v3/config/paths/list");
        var second = await client.PostAsync("/v3/config/paths/add/camera1", "{}");
        var third = await client.PostAsync("/v3/config/paths/add/camera1", "{}");

        Assert.That(first.Status, Is.EqualTo(500));
        Assert.That(first.Json.ToJsonString(), Is.EqualTo("""{"status":"error","error":"stand-in fault: forced status 500"}"""));
        Assert.That(other.Status, Is.EqualTo(200), "other paths are not affected");
        Assert.That(second.Status, Is.EqualTo(500));
        Assert.That(third.Status, Is.EqualTo(200));
        Assert.That(_standIn.PathConfNames, Does.Contain("camera1"), "only the third request reached the configuration");
    }

    [Test]
    public async Task GarbageBodyIsNotJson()
    {
        using var client = new StandInClient(_standIn);
        _standIn.Faults.Add(Fault.Garbage());

        var reply = await client.GetAsync("/v3/paths/list");

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.Throws(Is.InstanceOf<JsonException>(), () => JsonNode.Parse(reply.Body));
    }

    [Test]
    public async Task TruncatedBodyEndsTheResponseEarly()
    {
        using var client = new StandInClient(_standIn);
        _standIn.Faults.Add(Fault.Truncated().Times(1));

        var failure = await FailureOfAsync(() => client.GetAsync("/v3/config/paths/list"));
        var intact = await client.GetAsync("/v3/config/paths/list");

        Assert.That(failure, Is.InstanceOf<HttpRequestException>().Or.InstanceOf<IOException>());
        var logged = _standIn.Exchanges.Entries[0];
        Assert.That(logged.Fault, Is.EqualTo(FaultKind.TruncatedBody));
        Assert.That(logged.ResponseBody.Length * 2, Is.InRange(intact.Body.Length - 1, intact.Body.Length), "half the real body was sent");
    }

    [Test]
    public async Task DroppedConnectionGivesNoResponseAtAll()
    {
        using var client = new StandInClient(_standIn);
        _standIn.Faults.Add(Fault.Dropped().ForMethod("GET"));

        var failure = await FailureOfAsync(() => client.GetAsync("/v3/config/paths/list"));
        var post = await client.PostAsync("/v3/config/paths/add/camera1", "{}");
        _standIn.Faults.Clear();
        var afterClear = await client.GetAsync("/v3/config/paths/list");

        Assert.That(failure, Is.InstanceOf<HttpRequestException>());
        Assert.That(post.Status, Is.EqualTo(200), "POST is not affected by a GET-only fault");
        Assert.That(afterClear.Status, Is.EqualTo(200));
        Assert.That(_standIn.Exchanges.Entries[0].Status, Is.Null);
    }

    private static async Task<Exception?> FailureOfAsync(Func<Task> action)
    {
        try
        {
            await action();
            return null;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return e;
        }
    }
}
