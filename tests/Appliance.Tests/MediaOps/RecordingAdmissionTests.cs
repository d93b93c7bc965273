using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Support;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>Recordings are admitted by what the box has left, not by ffmpeg.max_concurrent: with the
/// default count of 4, six cameras record at once and a snapshot still runs beside them; a box short
/// of memory refuses a new recording naming the limit. Real FFmpeg, relay and service.</summary>
[NonParallelizable]
public class RecordingAdmissionTests
{
    private static JsonElement Result(JsonDocument d) => d.RootElement.TryGetProperty("result", out var r) ? r : throw new AssertionException(d.RootElement.ToString());

    private static string VirtualCameras(int count) => string.Join("\n", Enumerable.Range(0, count).Select(i => $"""
        [[camera.virtual]]
        name = "Extra {i}"
        resolution = "320x240"
        fps = 15
        """));

    [Test]
    public async Task SixCamerasRecordAtOnceWithTheDefaultCountAndASnapshotRunsBesideThem()
    {
        // The fixture's camera is virtual0; five more make six, beyond the default ffmpeg.max_concurrent = 4.
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true }, extraToml: VirtualCameras(5));
        var devices = Enumerable.Range(0, 6).Select(i => $"virtual{i}").ToList();
        await MediaMtxFixture.Eventually(() => devices.All(d => f.StandIn.GetPathConf(d) is not null), "six paths exist", seconds: 20);
        var clients = new List<RpcTestClient>();
        try
        {
            foreach (var _ in devices) clients.Add(await f.ConnectAsync(Role.Operator));
            var starts = await Task.WhenAll(devices.Select((d, i) => clients[i].CallAsync("start_recording", $$"""{"device":"{{d}}"}""", seconds: 60)));
            foreach (var (start, device) in starts.Zip(devices))
                using (start) Assert.That(Result(start).GetProperty("status").GetString(), Is.EqualTo("STARTED"), device);

            // Six recordings hold no short-job slot: a snapshot of a recording camera runs now.
            using (var snap = await clients[0].CallAsync("take_snapshot", """{"device":"virtual5"}""", seconds: 30))
                Assert.That(Result(snap).GetProperty("success").GetBoolean(), Is.True, snap.RootElement.ToString());

            await Task.Delay(2000);
            var stops = await Task.WhenAll(devices.Select((d, i) => clients[i].CallAsync("stop_recording", $$"""{"device":"{{d}}"}""", seconds: 30)));
            foreach (var (stop, device) in stops.Zip(devices))
            {
                using (stop)
                {
                    var file = Result(stop).GetProperty("filename").GetString()!;
                    var probe = MediaProbe.Read(Path.Combine(f.Host.DataDir, "recordings", file));
                    Assert.That(probe.Codec, Is.EqualTo("h264"), $"{device}: {file} plays");
                    Assert.That(probe.Duration, Is.GreaterThan(1), $"{device}: {file} holds the recording");
                }
            }
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    [Test]
    public async Task ABoxShortOfMemoryRefusesANewRecordingNamingTheLimitButStillTakesSnapshots()
    {
        // More memory than any test machine has: the guard must see the real MemAvailable below it.
        await using var f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true }, extraToml: """
            [resources]
            min_memory_mb = 1000000
            """);
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");
        await using var client = await f.ConnectAsync(Role.Operator);

        using (var start = await client.CallAsync("start_recording", """{"device":"virtual0"}"""))
        {
            var error = start.RootElement.GetProperty("error");
            Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32006));
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("resources.min_memory_mb = 1000000").And.Contain("MiB of memory available"));
        }
        Assert.That(Directory.Exists(Path.Combine(f.Host.DataDir, "recordings")) ? Directory.GetFiles(Path.Combine(f.Host.DataDir, "recordings")) : [], Is.Empty,
            "a refused recording leaves no file");
        using (var snap = await client.CallAsync("take_snapshot", """{"device":"virtual0"}""", seconds: 30))
            Assert.That(Result(snap).GetProperty("success").GetBoolean(), Is.True, "snapshots are short jobs, not guarded");
    }
}
