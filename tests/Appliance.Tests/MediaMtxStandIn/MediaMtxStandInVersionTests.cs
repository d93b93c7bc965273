using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>Each imitated release answers in its own shapes.</summary>
public class MediaMtxStandInVersionTests
{
    private static readonly string[] PathFieldsUpTo115 =
        ["name", "confName", "source", "ready", "readyTime", "tracks", "bytesReceived", "bytesSent", "readers"];

    private static readonly string[] PathFieldsAdded116 =
        ["available", "availableTime", "online", "onlineTime", "inboundBytes", "outboundBytes"];

    private static async Task<(MediaMtxStandIn, StandInClient)> StartAsync(string version)
    {
        var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions
        {
            ApiVersion = version,
            ApiPort = 0,
            RtspPort = 0,
            InitialPaths = new Dictionary<string, string> { ["camera0"] = "{}" },
        });
        return (standIn, new StandInClient(standIn));
    }

    [TestCase("1.5.0", false)]
    [TestCase("1.15.1", false)]
    [TestCase("1.15.2", true)]
    [TestCase("1.20.1", true)]
    public async Task InfoExistsFrom1152(string version, bool exists)
    {
        var (standIn, client) = await StartAsync(version);
        await using var _ = standIn;
        using var __ = client;

        var reply = await client.GetAsync("/v3/info");

        if (!exists)
        {
            Assert.That(reply.Status, Is.EqualTo(404));
            Assert.That(reply.Body, Is.EqualTo("404 page not found"));
            return;
        }
        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((string?)reply.Json["version"], Is.EqualTo("v" + version));
        Assert.That(DateTimeOffset.Parse((string)reply.Json["started"]!, System.Globalization.CultureInfo.InvariantCulture),
            Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task ALabelledStandInSaysSoInItsInfoVersion()
    {
        // build.ps1 run labels it, so the service's health (and the console) show which media server this is.
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, Label = "development stand-in, not MediaMTX" });
        using var client = new StandInClient(standIn);

        var reply = await client.GetAsync("/v3/info");

        Assert.That((string?)reply.Json["version"], Is.EqualTo("v1.20.1 (development stand-in, not MediaMTX)"));
    }

    [TestCase("1.15.1", "", """{"error":"path not found"}""")]
    [TestCase("1.15.5", """{"status":"ok"}""", """{"status":"error","error":"path not found"}""")]
    [TestCase("1.20.1", """{"status":"ok"}""", """{"status":"error","error":"path not found"}""")]
    public async Task StatusFieldInBodiesFrom1155(string version, string okBody, string errorBody)
    {
        var (standIn, client) = await StartAsync(version);
        await using var _ = standIn;
        using var __ = client;

        var ok = await client.PostAsync("/v3/config/paths/add/camera1", "{}");
        var error = await client.PatchAsync("/v3/config/paths/patch/nowhere", "{}");

        Assert.That(ok.Status, Is.EqualTo(200));
        Assert.That(ok.Body, Is.EqualTo(okBody));
        Assert.That(error.Status, Is.EqualTo(404));
        Assert.That(error.Body, Is.EqualTo(errorBody));
    }

    [TestCase("1.5.0", 404)]
    [TestCase("1.8.2", 200)]
    [TestCase("1.20.1", 200)]
    public async Task ReplaceCreatesAMissingPathFrom182(string version, int status)
    {
        var (standIn, client) = await StartAsync(version);
        await using var _ = standIn;
        using var __ = client;

        var reply = await client.PostAsync("/v3/config/paths/replace/camera1", """{"record":true}""");

        Assert.That(reply.Status, Is.EqualTo(status));
        Assert.That(standIn.PathConfNames.Contains("camera1"), Is.EqualTo(status == 200));
    }

    [TestCase("1.5.0", false, false, false)]
    [TestCase("1.15.5", false, false, false)]
    [TestCase("1.16.0", true, false, false)]
    [TestCase("1.17.0", true, true, false)]
    [TestCase("1.20.1", true, true, true)]
    public async Task PathFieldsFollowTheRelease(string version, bool availableOnline, bool tracks2, bool framesInError)
    {
        var (standIn, client) = await StartAsync(version);
        await using var _ = standIn;
        using var __ = client;
        var expected = PathFieldsUpTo115.ToList();
        if (availableOnline) expected.AddRange(PathFieldsAdded116);
        if (tracks2) expected.Add("tracks2");
        if (framesInError) expected.Add("inboundFramesInError");

        var idle = (await client.GetAsync("/v3/paths/get/camera0")).Json.AsObject();
        standIn.SimulatePublisher("camera0");
        var live = (await client.GetAsync("/v3/paths/get/camera0")).Json.AsObject();

        Assert.That(idle.Select(f => f.Key), Is.EquivalentTo(expected));
        Assert.That((bool?)idle["ready"], Is.False);
        Assert.That(idle["readyTime"], Is.Null);
        Assert.That(idle["source"], Is.Null);
        Assert.That(live.Select(f => f.Key), Is.EquivalentTo(expected));
        Assert.That((bool?)live["ready"], Is.True);
        Assert.That((string?)live["readyTime"], Is.Not.Null);
        Assert.That((string?)live["source"]!["type"], Is.EqualTo("rtspSession"));
        Assert.That(live["tracks"]!.AsArray().Select(t => (string?)t), Is.EqualTo(new[] { "H264" }));
        if (availableOnline)
        {
            Assert.That((bool?)live["available"], Is.True);
            Assert.That((bool?)live["online"], Is.True);
        }
        if (tracks2) Assert.That((int?)live["tracks2"]![0]!["codecProps"]!["width"], Is.EqualTo(1920));
    }

    [Test]
    public async Task UnknownRuntimePathIs404()
    {
        var (standIn, client) = await StartAsync("1.20.1");
        await using var _ = standIn;
        using var __ = client;

        var reply = await client.GetAsync("/v3/paths/get/nowhere");

        Assert.That(reply.Status, Is.EqualTo(404));
        Assert.That(reply.Error, Is.EqualTo("path not found"));
    }
}
