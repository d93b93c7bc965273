using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>The stand-in's /v3/config/paths and /v3/config/global behave like MediaMTX's.</summary>
public class MediaMtxStandInConfigTests
{
    private MediaMtxStandIn _standIn = null!;
    private StandInClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 });
        _client = new StandInClient(_standIn);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _standIn.DisposeAsync();
    }

    [Test]
    public async Task AddedPathComesBackWithItsNameAndTheDefaultsFilledIn()
    {
        var added = await _client.PostAsync("/v3/config/paths/add/camera0", """{"runOnDemand":"ffmpeg -i x","runOnDemandCloseAfter":"3s"}""");
        var path = await _client.GetAsync("/v3/config/paths/get/camera0");

        Assert.That(added.Status, Is.EqualTo(200));
        Assert.That(added.Body, Is.EqualTo("""{"status":"ok"}"""));
        Assert.That(path.Status, Is.EqualTo(200));
        var json = path.Json;
        Assert.That((string?)json["name"], Is.EqualTo("camera0"));
        Assert.That((string?)json["runOnDemand"], Is.EqualTo("ffmpeg -i x"));
        Assert.That((string?)json["runOnDemandCloseAfter"], Is.EqualTo("3s"));
        Assert.That((string?)json["source"], Is.EqualTo("publisher"));
        Assert.That((bool?)json["runOnDemandRestart"], Is.False);
        Assert.That((string?)json["runOnDemandStartTimeout"], Is.EqualTo("10s"));
        Assert.That((bool?)json["record"], Is.False);
        Assert.That(_standIn.GetPathConf("camera0")!.ToJsonString(), Is.EqualTo(json.ToJsonString()), "the in-process view matches HTTP");
    }

    [Test]
    public async Task AddingAnExistingPathIsRefused()
    {
        await _client.PostAsync("/v3/config/paths/add/camera0", "{}");

        var again = await _client.PostAsync("/v3/config/paths/add/camera0", """{"record":true}""");

        Assert.That(again.Status, Is.EqualTo(400));
        Assert.That(again.Json.ToJsonString(), Is.EqualTo("""{"status":"error","error":"path already exists"}"""));
        Assert.That((bool?)_standIn.GetPathConf("camera0")!["record"], Is.False, "the first configuration stays");
    }

    [Test]
    public async Task UnknownFieldIsRefusedLikeGosDisallowUnknownFields()
    {
        var reply = await _client.PostAsync("/v3/config/paths/add/camera0", """{"source":"publisher","runOnDemandd":"x"}""");

        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Error, Is.EqualTo("json: unknown field \"runOnDemandd\""));
        Assert.That(_standIn.PathConfNames, Is.Empty);
    }

    [TestCase("""{"record":"yes"}""", "json: cannot unmarshal string into Go struct field Path.record of type bool")]
    [TestCase("""{"maxReaders":1.5}""", "json: cannot unmarshal number 1.5 into Go struct field Path.maxReaders of type int")]
    [TestCase("""{"forward":null}""", "cannot set slice to nil")]
    [TestCase("""{"runOnDemandCloseAfter":"soon"}""", "time: invalid duration \"soon\"")]
    [TestCase("""{"source":"rtsp://10.0.0.1/x","runOnDemand":"ffmpeg"}""", "'runOnDemand' can be used only when source is 'publisher'")]
    [TestCase("[]", "json: cannot unmarshal array into Go value of type conf.OptionalPath")]
    [TestCase("", "unexpected end of JSON input")]
    [TestCase("<html>", "invalid character '<' looking for beginning of value")]
    public async Task InvalidBodiesAreRefusedWith400(string body, string error)
    {
        var reply = await _client.PostAsync("/v3/config/paths/add/camera0", body);

        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Error, Is.EqualTo(error));
        Assert.That(_standIn.PathConfNames, Is.Empty);
    }

    [Test]
    public async Task KeysMatchFieldsWithoutRegardToCaseAsInGo()
    {
        var reply = await _client.PostAsync("/v3/config/paths/add/camera0", """{"RunOnDemand":"sleep 1"}""");

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((string?)_standIn.GetPathConf("camera0")!["runOnDemand"], Is.EqualTo("sleep 1"));
    }

    [Test]
    public async Task InvalidPathNameIsRefused()
    {
        var reply = await _client.PostAsync("/v3/config/paths/add/bad%20name", "{}");

        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That(reply.Error, Does.StartWith("invalid path name 'bad name': can contain only"));
    }

    [Test]
    public async Task NamesMayContainSlashesEncodedOrNot()
    {
        var plain = await _client.PostAsync("/v3/config/paths/add/site/front", "{}");
        var encoded = await _client.GetAsync("/v3/config/paths/get/site%2Ffront");
        var empty = await _client.GetAsync("/v3/config/paths/get/");

        Assert.That(plain.Status, Is.EqualTo(200));
        Assert.That(encoded.Status, Is.EqualTo(200));
        Assert.That((string?)encoded.Json["name"], Is.EqualTo("site/front"));
        Assert.That(empty.Status, Is.EqualTo(400));
        Assert.That(empty.Error, Is.EqualTo("invalid name"));
    }

    [Test]
    public async Task PatchMergesFieldsIntoTheExistingConfiguration()
    {
        await _client.PostAsync("/v3/config/paths/add/camera0", """{"runOnDemand":"a","record":true}""");

        var reply = await _client.PatchAsync("/v3/config/paths/patch/camera0", """{"runOnDemand":"b"}""");

        Assert.That(reply.Status, Is.EqualTo(200));
        var path = _standIn.GetPathConf("camera0")!;
        Assert.That((string?)path["runOnDemand"], Is.EqualTo("b"));
        Assert.That((bool?)path["record"], Is.True, "fields not in the patch are kept");
    }

    [Test]
    public async Task PatchOfAMissingPathIs404()
    {
        var reply = await _client.PatchAsync("/v3/config/paths/patch/nowhere", """{"record":true}""");

        Assert.That(reply.Status, Is.EqualTo(404));
        Assert.That(reply.Error, Is.EqualTo("path not found"));
    }

    [Test]
    public async Task ReplaceDropsFieldsThatAreNotInTheNewConfiguration()
    {
        await _client.PostAsync("/v3/config/paths/add/camera0", """{"runOnDemand":"a","record":true,"sourceProtocol":"tcp"}""");
        Assert.That((string?)_standIn.GetPathConf("camera0")!["sourceProtocol"], Is.EqualTo("tcp"), "a deprecated field is shown once set");

        var reply = await _client.PostAsync("/v3/config/paths/replace/camera0", """{"runOnDemand":"b"}""");

        Assert.That(reply.Status, Is.EqualTo(200));
        var path = _standIn.GetPathConf("camera0")!;
        Assert.That((string?)path["runOnDemand"], Is.EqualTo("b"));
        Assert.That((bool?)path["record"], Is.False, "back to the default");
        Assert.That(path.ContainsKey("sourceProtocol"), Is.False, "an unset deprecated field is omitted");
    }

    [Test]
    public async Task DeleteRemovesThePathAndASecondDeleteIs404()
    {
        await _client.PostAsync("/v3/config/paths/add/camera0", "{}");

        var first = await _client.DeleteAsync("/v3/config/paths/delete/camera0");
        var second = await _client.DeleteAsync("/v3/config/paths/delete/camera0");
        var get = await _client.GetAsync("/v3/config/paths/get/camera0");

        Assert.That(first.Status, Is.EqualTo(200));
        Assert.That(second.Status, Is.EqualTo(404));
        Assert.That(second.Error, Is.EqualTo("path not found"));
        Assert.That(get.Status, Is.EqualTo(404));
        Assert.That(get.Error, Is.EqualTo("path configuration not found"));
    }

    [Test]
    public async Task GlobalConfigurationIsPatchedStrictly()
    {
        var before = await _client.GetAsync("/v3/config/global/get");
        var patched = await _client.PatchAsync("/v3/config/global/patch", """{"logLevel":"debug","readTimeout":"5s"}""");
        var unknown = await _client.PatchAsync("/v3/config/global/patch", """{"logLevell":"debug"}""");
        var badEnum = await _client.PatchAsync("/v3/config/global/patch", """{"logLevel":"loud"}""");
        var after = await _client.GetAsync("/v3/config/global/get");

        Assert.That((string?)before.Json["logLevel"], Is.EqualTo("info"));
        Assert.That((string?)before.Json["apiAddress"], Is.EqualTo($":{_standIn.ApiPort}"));
        Assert.That((string?)before.Json["rtspAddress"], Is.EqualTo($":{_standIn.RtspPort}"));
        Assert.That(patched.Status, Is.EqualTo(200));
        Assert.That(unknown.Status, Is.EqualTo(400));
        Assert.That(unknown.Error, Is.EqualTo("json: unknown field \"logLevell\""));
        Assert.That(badEnum.Status, Is.EqualTo(400));
        Assert.That((string?)after.Json["logLevel"], Is.EqualTo("debug"));
        Assert.That((string?)after.Json["readTimeout"], Is.EqualTo("5s"));
        Assert.That((string?)after.Json["writeTimeout"], Is.EqualTo("10s"), "untouched keys keep their values");
    }

    [Test]
    public async Task PathDefaultsApplyToPathsThatDoNotSetTheField()
    {
        await _client.PostAsync("/v3/config/paths/add/camera0", "{}");
        await _client.PostAsync("/v3/config/paths/add/camera1", """{"runOnDemandStartTimeout":"2s"}""");

        var reply = await _client.PatchAsync("/v3/config/pathdefaults/patch", """{"runOnDemandStartTimeout":"20s"}""");

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((string?)_standIn.GetPathConf("camera0")!["runOnDemandStartTimeout"], Is.EqualTo("20s"));
        Assert.That((string?)_standIn.GetPathConf("camera1")!["runOnDemandStartTimeout"], Is.EqualTo("2s"));
    }

    [Test]
    public async Task UnknownRouteOrMethodGetsGinsPlainTextNotFound()
    {
        var route = await _client.GetAsync("/v3/config/paths/frobnicate");
        var method = await _client.DeleteAsync("/v3/config/global/get");

        Assert.That(route.Status, Is.EqualTo(404));
        Assert.That(route.Body, Is.EqualTo("404 page not found"));
        Assert.That(method.Status, Is.EqualTo(404));
    }
}
