using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.Storage;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>A recording on a small real tmpfs: the disk fills, the oldest finished file goes first,
/// then the recording stops cleanly; a full disk refuses new recordings with -32007.</summary>
[NonParallelizable]
public class DiskFullTests
{
    [Test]
    public async Task AFillingDiskDeletesOldFilesThenStopsTheRecordingCleanly()
    {
        Tmpfs? disk = null;
        string? oldFile = null;
        var f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true },
            // A 720p test pattern (about 2 Mbit/s, the [ffmpeg] bitrate) fills 3 MiB in seconds.
            recordingExtra: "segment_duration = 2",
            extraToml: "[[camera.virtual]]\nname = \"Big\"\nresolution = \"1280x720\"\nfps = 30\n",
            storageExtra: "min_free_mb = 0.5\nblock_percent = 95\nwarn_percent = 80",
            prepare: d =>
            {
                disk = new Tmpfs(d.File("recordings"), 3072);
                oldFile = StorageSamples.Bytes(disk.Path, "camera9_2020-01-01_00-00-00.mp4", 512 * 1024, TimeSpan.FromDays(30));
            });
        try
        {
            await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual1") is not null, "path exists");
            await using var client = await f.ConnectAsync(Role.Operator);
            using (var start = await client.CallAsync("start_recording", """{"device":"virtual1"}"""))
                Assert.That(start.RootElement.GetProperty("result").GetProperty("status").GetString(), Is.EqualTo("STARTED"), start.RootElement.ToString());

            JsonElement? stopped = null;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (stopped is null && DateTime.UtcNow < deadline)
            {
                while (client.Notifications.TryDequeue(out var doc))
                    if (doc.RootElement.GetProperty("method").GetString() == "recording_status_update"
                        && doc.RootElement.GetProperty("params").GetProperty("status").GetString() is "STOPPED" or "FAILED")
                        stopped = doc.RootElement.GetProperty("params").Clone();
                await Task.Delay(100);
            }
            Assert.That(stopped, Is.Not.Null, "the recording ended when the disk was full");
            Assert.That(stopped!.Value.GetProperty("status").GetString(), Is.EqualTo("STOPPED"), "stopped cleanly, not failed");
            Assert.That(File.Exists(oldFile), Is.False, "the oldest finished file went first");
            var kept = Directory.GetFiles(disk!.Path, "virtual1_*.mp4");
            Assert.That(kept, Is.Not.Empty);
            Assert.That(kept.Sum(k => MediaProbe.Read(k, countFrames: true).Frames), Is.GreaterThan(10), "what was recorded plays");

            using var again = await client.CallAsync("start_recording", """{"device":"virtual1"}""");
            var code = again.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : 0;
            Assert.That(code, Is.EqualTo(-32007).Or.EqualTo(0), again.RootElement.ToString());
            if (code == 0) (await client.CallAsync("stop_recording", """{"device":"virtual1"}""")).Dispose();
        }
        finally
        {
            await f.DisposeAsync();
            disk?.Dispose();
        }
    }
}
