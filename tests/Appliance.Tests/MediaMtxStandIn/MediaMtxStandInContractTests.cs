using Appliance.Testing.MediaMtx;
using Appliance.Testing.MediaMtx.Contract;

namespace Appliance.Tests.StandIn;

/// <summary>The stand-in's answers fit MediaMTX's openapi.yaml, and the checker does catch misfits.</summary>
public class MediaMtxStandInContractTests
{
    private static OpenApiContract Contract => OpenApiContract.Default;

    [Test]
    public async Task EveryExchangeOfAFullSessionFitsTheContract()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 });
        using var client = new StandInClient(standIn);
        standIn.AddRecordingSegment("camera0", new DateTimeOffset(2025, 5, 6, 7, 8, 9, 123, TimeSpan.Zero));

        await client.GetAsync("/v3/info");
        await client.GetAsync("/v3/config/global/get");
        await client.PatchAsync("/v3/config/global/patch", """{"logLevel":"warn","rtspTransports":["tcp"]}""");
        await client.GetAsync("/v3/config/pathdefaults/get");
        await client.PatchAsync("/v3/config/pathdefaults/patch", """{"runOnDemandCloseAfter":"5s"}""");
        await client.PostAsync("/v3/config/paths/add/camera0", """{"runOnDemand":"sleep 30","runOnDemandRestart":true,"record":true}""");
        await client.PostAsync("/v3/config/paths/add/camera0", "{}"); // 400 already exists
        await client.PostAsync("/v3/config/paths/add/camera1", """{"unknown":1}"""); // 400 unknown field
        await client.PostAsync("/v3/config/paths/add/site/front", "{}");
        await client.PatchAsync("/v3/config/paths/patch/camera0", """{"runOnDemandStartTimeout":"3s"}""");
        await client.PatchAsync("/v3/config/paths/patch/missing", "{}"); // 404
        await client.PostAsync("/v3/config/paths/replace/site/front", """{"maxReaders":2}""");
        await client.GetAsync("/v3/config/paths/get/camera0");
        await client.GetAsync("/v3/config/paths/get/missing"); // 404
        await client.GetAsync("/v3/config/paths/list?itemsPerPage=1&page=1");
        await client.GetAsync("/v3/config/paths/list?itemsPerPage=0"); // 400
        standIn.SimulatePublisher("camera0");
        standIn.SimulateReader("camera0");
        await client.GetAsync("/v3/paths/list");
        await client.GetAsync("/v3/paths/get/camera0");
        await client.GetAsync("/v3/paths/get/missing"); // 404
        await client.GetAsync("/v3/recordings/list");
        await client.GetAsync("/v3/recordings/get/camera0");
        await client.DeleteAsync("/v3/recordings/deletesegment?path=camera0&start=2025-05-06T07:08:09.123Z");
        await client.DeleteAsync("/v3/config/paths/delete/site/front");
        await client.DeleteAsync("/v3/config/paths/delete/site/front"); // 404

        var exchanges = standIn.Exchanges.Entries;
        Assert.That(exchanges, Has.Count.EqualTo(24));
        Assert.That(exchanges.Select(e => e.Status), Has.Some.EqualTo(400).And.Some.EqualTo(404).And.Some.EqualTo(200));
        Assert.That(exchanges[2].Method, Is.EqualTo("PATCH"));
        Assert.That(exchanges[2].PathAndQuery, Is.EqualTo("/v3/config/global/patch"));
        Assert.That(exchanges[2].RequestBody, Is.EqualTo("""{"logLevel":"warn","rtspTransports":["tcp"]}"""));
        Assert.That(exchanges[14].PathAndQuery, Is.EqualTo("/v3/config/paths/list?itemsPerPage=1&page=1"));
        var violations = exchanges.SelectMany(e => Contract.CheckExchange(e).Select(v => $"{e.Method} {e.PathAndQuery}: {v}")).ToList();
        Assert.That(violations, Is.EqualTo(new[] { "POST /v3/config/paths/add/camera1: $.unknown: unknown property (not in the schema)" }),
            "only the deliberately bad request breaks the contract; every answer fits it");
    }

    [TestCase("1.5.0")]
    [TestCase("1.15.1")]
    [TestCase("1.16.0")]
    public async Task OlderShapesFitTooWhereTheOperationExists(string version)
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiVersion = version, ApiPort = 0, RtspPort = 0 });
        using var client = new StandInClient(standIn);

        await client.PostAsync("/v3/config/paths/add/camera0", "{}"); // empty 200 before 1.15.5
        await client.PatchAsync("/v3/config/paths/patch/missing", "{}");
        standIn.SimulatePublisher("camera0");
        await client.GetAsync("/v3/paths/get/camera0");
        await client.GetAsync("/v3/paths/list");

        var violations = standIn.Exchanges.Entries.SelectMany(e => Contract.CheckExchange(e)).ToList();
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public void ResponseBodyThatBreaksTheSchemaIsReportedWithJsonPaths()
    {
        const string body = """
            {"name":"camera0","ready":"yes","readyTime":null,"source":{"type":"carrierPigeon","id":"1"},
             "readers":[{"type":"rtspSession","id":"a","extra":true}],"bytesReceived":-1,"color":"blue","confName":null}
            """;

        var violations = Contract.CheckResponse("GET", "/v3/paths/get/camera0", 200, body);

        var where = violations.Select(v => v.Where).ToList();
        Assert.That(where, Is.EquivalentTo(new[] { "$.ready", "$.source.type", "$.readers[0].extra", "$.bytesReceived", "$.color", "$.confName" }));
    }

    [Test]
    public void RequestsAreCheckedForOperationQueryAndBody()
    {
        Assert.That(Contract.CheckRequest("POST", "/v3/config/paths/add/camera0", """{"record":true}"""), Is.Empty);
        Assert.That(Contract.CheckRequest("GET", "/v3/config/paths/list?page=0&itemsPerPage=5", ""), Is.Empty);

        Assert.That(Contract.CheckRequest("POST", "/v3/config/paths/add/camera0", """{"record":"true","runOnDemandd":""}""").Select(v => v.Where),
            Is.EquivalentTo(new[] { "$.record", "$.runOnDemandd" }));
        Assert.That(Contract.CheckRequest("GET", "/v3/config/paths/list?pages=2&page=x", "").Select(v => v.Where),
            Is.EquivalentTo(new[] { "request.query.pages", "request.query.page" }));
        Assert.That(Contract.CheckRequest("PUT", "/v3/config/paths/add/camera0", "{}").Single().Where, Is.EqualTo("request"));
        Assert.That(Contract.CheckRequest("GET", "/v3/config/paths/get/camera0", "{}").Single().Where, Is.EqualTo("request.body"));
        Assert.That(Contract.CheckRequest("DELETE", "/v3/recordings/deletesegment?path=camera0", "").Single().Where, Is.EqualTo("request.query.start"));
        Assert.That(Contract.CheckRequest("POST", "/v3/config/paths/add/camera0", """{"RunOnDemand":"x"}""").Single().Where,
            Is.EqualTo("$.RunOnDemand"), "MediaMTX would accept the wrong case; the contract does not");
    }

    [Test]
    public void UnlistedStatusAndNonJsonBodyAreReported()
    {
        Assert.That(Contract.CheckResponse("GET", "/v3/paths/list", 418, "{}").Single().Where, Is.EqualTo("response.status"));
        Assert.That(Contract.CheckResponse("GET", "/v3/paths/list", 200, "<html>").Single().Message, Does.StartWith("not JSON"));
        Assert.That(Contract.CheckResponse("POST", "/v3/config/paths/add/camera0", 200, ""), Is.Empty, "an empty 200 (before 1.15.5) is fine");
    }

    [Test]
    public async Task FaultyAnswersAreCaughtByTheContract()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 });
        using var client = new StandInClient(standIn);
        standIn.Faults.Add(Fault.Garbage().Times(1));
        standIn.Faults.Add(Fault.Status(503).Times(1));

        await client.GetAsync("/v3/paths/list");
        await client.GetAsync("/v3/paths/list");

        var entries = standIn.Exchanges.Entries;
        Assert.That(Contract.CheckExchange(entries[0]).Single().Message, Does.StartWith("not JSON"));
        Assert.That(Contract.CheckExchange(entries[1]).Single().Where, Is.EqualTo("response.status"), "503 is not a listed response");
    }
}
