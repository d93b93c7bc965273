using System.Globalization;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>list/info/delete of recordings and snapshots through the real host over WebSocket.</summary>
public class FileRpcTests
{
    private RunningHost _host = null!;
    private string Recordings => Path.Combine(_host.DataDir, "recordings");
    private string Snapshots => Path.Combine(_host.DataDir, "snapshots");

    [SetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0");

    [TearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [Test]
    public async Task ListRecordingsHasTheContractShapeNewestFirstWithDurations()
    {
        StorageSamples.Copy(StorageSamples.Mp4, Recordings, "camera0_2026-01-01_10-00-00.mp4", TimeSpan.FromHours(3));
        StorageSamples.Copy(StorageSamples.Mkv, Recordings, "camera0_2026-01-01_11-00-00.mkv", TimeSpan.FromHours(2));
        StorageSamples.Bytes(Recordings, "broken.mp4", 3000, TimeSpan.FromHours(1));

        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var reply = await client.CallAsync("list_recordings");
        var result = RpcAssert.Result(reply);
        Assert.That(RpcAssert.Names(result), Is.EqualTo(new[] { "files", "limit", "offset", "total" }));
        Assert.That(result.GetProperty("total").GetInt32(), Is.EqualTo(3));
        Assert.That(result.GetProperty("limit").GetInt32(), Is.EqualTo(100));
        Assert.That(result.GetProperty("offset").GetInt32(), Is.EqualTo(0));

        var files = result.GetProperty("files").EnumerateArray().ToList();
        Assert.That(files.Select(f => f.GetProperty("filename").GetString()),
            Is.EqualTo(new[] { "broken.mp4", "camera0_2026-01-01_11-00-00.mkv", "camera0_2026-01-01_10-00-00.mp4" }));
        foreach (var f in files)
        {
            var name = f.GetProperty("filename").GetString()!;
            var size = new FileInfo(Path.Combine(Recordings, name)).Length;
            Assert.That(RpcAssert.Names(f), Is.EqualTo(new[] { "download_url", "duration", "file_size", "filename", "modified_time", "options", "size_bytes" }));
            Assert.That(f.GetProperty("options").ValueKind, Is.EqualTo(JsonValueKind.Null), "not recorded by this service: no options known");
            Assert.That(f.GetProperty("file_size").GetInt64(), Is.EqualTo(size));
            Assert.That(f.GetProperty("size_bytes").GetInt64(), Is.EqualTo(size));
            Assert.That(f.GetProperty("download_url").GetString(), Is.EqualTo("/files/recordings/" + name));
            AssertIsoUtc(f.GetProperty("modified_time").GetString()!, File.GetLastWriteTimeUtc(Path.Combine(Recordings, name)));
        }
        Assert.That(files[0].GetProperty("duration").ValueKind, Is.EqualTo(JsonValueKind.Null), "ffprobe cannot read it");
        Assert.That(files[1].GetProperty("duration").GetDouble(), Is.EqualTo(1.0).Within(0.05));
        Assert.That(files[2].GetProperty("duration").GetDouble(), Is.EqualTo(2.0).Within(0.05));
    }

    [Test]
    public async Task LimitAndOffsetPageAndAreValidated()
    {
        for (var i = 0; i < 5; i++) StorageSamples.Bytes(Snapshots, $"s{i}.jpg", 100 + i, TimeSpan.FromMinutes(10 - i));
        await using var client = await _host.ConnectAsync(Role.Viewer);

        using (var reply = await client.CallAsync("list_snapshots", """{"limit":2,"offset":1}"""))
        {
            var result = RpcAssert.Result(reply);
            Assert.That(result.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()), Is.EqualTo(new[] { "s3.jpg", "s2.jpg" }));
            Assert.That(result.GetProperty("total").GetInt32(), Is.EqualTo(5));
            Assert.That(result.GetProperty("limit").GetInt32(), Is.EqualTo(2));
            Assert.That(result.GetProperty("offset").GetInt32(), Is.EqualTo(1));
            var entry = result.GetProperty("files")[0];
            Assert.That(RpcAssert.Names(entry), Is.EqualTo(new[] { "download_url", "file_size", "filename", "modified_time", "size_bytes" }), "snapshots have no duration");
            Assert.That(entry.GetProperty("download_url").GetString(), Is.EqualTo("/files/snapshots/s3.jpg"));
        }
        using (var reply = await client.CallAsync("list_snapshots", """{"offset":7}"""))
            Assert.That(RpcAssert.Result(reply).GetProperty("files").GetArrayLength(), Is.Zero);

        foreach (var (json, field) in new[] { ("""{"limit":0}""", "limit"), ("""{"limit":1001}""", "limit"), ("""{"limit":"10"}""", "limit"), ("""{"offset":-1}""", "offset") })
        {
            using var reply = await client.CallAsync("list_recordings", json);
            var (code, _, f) = RpcAssert.Error(reply);
            Assert.That((code, f), Is.EqualTo((-32602, field)), json);
        }
    }

    [Test]
    public async Task InfoCallsDescribeOneFile()
    {
        StorageSamples.Copy(StorageSamples.Mp4, Recordings, "rec.mp4", TimeSpan.FromMinutes(5));
        StorageSamples.Copy(StorageSamples.Jpg, Snapshots, "shot.jpg");
        StorageSamples.Copy(StorageSamples.Png, Snapshots, "shot.png");
        await using var client = await _host.ConnectAsync(Role.Viewer);

        using (var reply = await client.CallAsync("get_recording_info", """{"filename":"rec.mp4"}"""))
        {
            var r = RpcAssert.Result(reply);
            Assert.That(RpcAssert.Names(r), Is.EqualTo(new[] { "bitrate", "codec", "created_time", "download_url", "duration", "file_size", "filename", "modified_time",
                "options", "resolution", "size_bytes" }));
            Assert.That(r.GetProperty("filename").GetString(), Is.EqualTo("rec.mp4"));
            // Read from the file by ffprobe; no options: the service did not record it.
            Assert.That((r.GetProperty("codec").GetString(), r.GetProperty("resolution").GetString()), Is.EqualTo(("h264", "160x120")));
            Assert.That(r.GetProperty("bitrate").GetInt64(), Is.GreaterThan(1000));
            Assert.That(r.GetProperty("options").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.GetProperty("file_size").GetInt64(), Is.EqualTo(new FileInfo(StorageSamples.Mp4).Length));
            Assert.That(r.GetProperty("duration").GetDouble(), Is.EqualTo(2.0).Within(0.05));
            Assert.That(r.GetProperty("download_url").GetString(), Is.EqualTo("/files/recordings/rec.mp4"));
            AssertIsoUtc(r.GetProperty("modified_time").GetString()!, File.GetLastWriteTimeUtc(Path.Combine(Recordings, "rec.mp4")));
            AssertIsoUtc(r.GetProperty("created_time").GetString()!, null);
        }
        using (var reply = await client.CallAsync("get_snapshot_info", """{"filename":"shot.jpg"}"""))
        {
            var r = RpcAssert.Result(reply);
            Assert.That(RpcAssert.Names(r), Is.EqualTo(new[] { "created_time", "download_url", "file_size", "filename", "modified_time", "resolution", "size_bytes" }));
            Assert.That(r.GetProperty("resolution").GetString(), Is.EqualTo("160x120"));
            Assert.That(r.GetProperty("download_url").GetString(), Is.EqualTo("/files/snapshots/shot.jpg"));
        }
        using (var reply = await client.CallAsync("get_snapshot_info", """{"filename":"shot.png"}"""))
            Assert.That(RpcAssert.Result(reply).GetProperty("resolution").GetString(), Is.EqualTo("320x240"));

        using (var reply = await client.CallAsync("get_recording_info", """{"filename":"nope.mp4"}"""))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Recording not found: nope.mp4", "filename")));
        using (var reply = await client.CallAsync("get_snapshot_info", """{"filename":"nope.png"}"""))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Snapshot not found: nope.png", "filename")));
        using (var reply = await client.CallAsync("get_recording_info", "{}"))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Invalid params: 'filename' is required", "filename")));
        using (var reply = await client.CallAsync("get_recording_info", """{"filename":42}"""))
            Assert.That(RpcAssert.Error(reply).Field, Is.EqualTo("filename"));
    }

    [TestCase("../secret.mp4")]
    [TestCase("/etc/passwd")]
    [TestCase("a/b.mp4")]
    [TestCase("..\\secret.mp4")]
    [TestCase("secret.mp4\0")]
    [TestCase("..")]
    public async Task TraversalAttemptsAreRefusedAndTouchNothing(string name)
    {
        var secret = StorageSamples.Copy(StorageSamples.Mp4, _host.DataDir, "secret.mp4");
        Directory.CreateDirectory(Path.Combine(Recordings, "a"));
        var nested = StorageSamples.Bytes(Path.Combine(Recordings, "a"), "b.mp4", 10);
        await using var client = await _host.ConnectAsync(Role.Admin);
        foreach (var method in new[] { "get_recording_info", "delete_recording", "get_snapshot_info", "delete_snapshot" })
        {
            using var reply = await client.CallAsync(method, $$"""{"filename":{{RpcAssert.Quote(name)}}}""");
            var (code, message, field) = RpcAssert.Error(reply);
            Assert.That((code, field), Is.EqualTo((-32602, "filename")), $"{method}: {message}");
            Assert.That(message, Does.StartWith("Invalid params: 'filename'"));
        }
        Assert.That(File.Exists(secret) && File.Exists(nested) && File.Exists("/etc/passwd"), Is.True);
    }

    [Test]
    public async Task ASymlinkToAFileOutsideIsNotListedDescribedOrDeleted()
    {
        var secret = StorageSamples.Copy(StorageSamples.Mp4, _host.DataDir, "secret.mp4");
        Directory.CreateDirectory(Recordings);
        File.CreateSymbolicLink(Path.Combine(Recordings, "link.mp4"), secret);
        await using var client = await _host.ConnectAsync(Role.Operator);

        using (var reply = await client.CallAsync("list_recordings"))
            Assert.That(RpcAssert.Result(reply).GetProperty("total").GetInt32(), Is.Zero);
        using (var reply = await client.CallAsync("get_recording_info", """{"filename":"link.mp4"}"""))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Recording not found: link.mp4", "filename")));
        using (var reply = await client.CallAsync("delete_recording", """{"filename":"link.mp4"}"""))
            Assert.That(RpcAssert.Error(reply).Code, Is.EqualTo(-32602));
        Assert.That(File.Exists(secret), Is.True);
        Assert.That(new FileInfo(Path.Combine(Recordings, "link.mp4")).LinkTarget, Is.EqualTo(secret));
    }

    [Test]
    public async Task DeleteTwiceDeletesOnceThenSaysNotFound()
    {
        var path = StorageSamples.Copy(StorageSamples.Mp4, Recordings, "rec.mp4");
        var snap = StorageSamples.Copy(StorageSamples.Jpg, Snapshots, "shot.jpg");
        await using var client = await _host.ConnectAsync(Role.Operator);

        using (var reply = await client.CallAsync("delete_recording", """{"filename":"rec.mp4"}"""))
        {
            var r = RpcAssert.Result(reply);
            Assert.That(RpcAssert.Names(r), Is.EqualTo(new[] { "deleted", "filename", "message" }));
            Assert.That(r.GetProperty("deleted").GetBoolean(), Is.True);
            Assert.That(r.GetProperty("filename").GetString(), Is.EqualTo("rec.mp4"));
        }
        Assert.That(File.Exists(path), Is.False);
        using (var reply = await client.CallAsync("delete_recording", """{"filename":"rec.mp4"}"""))
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Recording not found: rec.mp4", "filename")));

        using (var reply = await client.CallAsync("delete_snapshot", """{"filename":"shot.jpg"}"""))
            Assert.That(RpcAssert.Result(reply).GetProperty("deleted").GetBoolean(), Is.True);
        Assert.That(File.Exists(snap), Is.False);
    }

    [Test]
    public async Task RolesFollowTheContract()
    {
        StorageSamples.Copy(StorageSamples.Jpg, Snapshots, "shot.jpg");
        var leastRole = new Dictionary<string, Role>
        {
            ["list_recordings"] = Role.Viewer, ["list_snapshots"] = Role.Viewer,
            ["get_recording_info"] = Role.Viewer, ["get_snapshot_info"] = Role.Viewer,
            ["delete_recording"] = Role.Operator, ["delete_snapshot"] = Role.Operator,
            ["get_storage_info"] = Role.Admin, ["set_retention_policy"] = Role.Admin, ["cleanup_old_files"] = Role.Admin,
        };
        var failures = new List<string>();
        foreach (var role in new[] { Role.None, Role.Viewer, Role.Operator, Role.Admin })
        {
            await using var client = await _host.ConnectAsync(role == Role.None ? null : role);
            foreach (var (method, least) in leastRole)
            {
                // Params the file methods refuse (-32602), so no allowed call deletes anything; whatever a
                // role may call answers a result or -32602, anything else -32001 / -32003.
                using var reply = await client.CallAsync(method, """{"filename":"../x","limit":0,"policy_type":"bogus"}""");
                var actual = reply.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : 0;
                var expected = role == Role.None ? -32001 : role < least ? -32003 : -1;
                if (expected == -1 ? actual is -32001 or -32003 : actual != expected)
                    failures.Add($"{Roles.Name(role)} -> {method}: got {actual}");
            }
        }
        Assert.That(failures, Is.Empty);
        Assert.That(File.Exists(Path.Combine(Snapshots, "shot.jpg")), Is.True);
    }

    /// <summary>ISO 8601 UTC with Z, and (when given) the file's time to the millisecond.</summary>
    private static void AssertIsoUtc(string text, DateTime? expected)
    {
        Assert.That(text, Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"));
        var parsed = DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        if (expected is { } e) Assert.That(parsed, Is.EqualTo(e).Within(TimeSpan.FromMilliseconds(1)));
    }
}
