using Appliance.Rpc;
using Appliance.Storage;
using Appliance.Tests.Storage;

namespace Appliance.Tests.Faults;

/// <summary>
/// The recordings' file system runs out of room (a small real tmpfs). While recording: the oldest
/// finished files go first, then the recording STOPS cleanly with reason disk_full and its file
/// decodes; the next start is refused with -32007. Before recording: the same rule refuses a start
/// when less than storage.min_free_mb is free even though usage is under block_percent.
/// </summary>
[NonParallelizable]
public class StorageFaultTests
{
    private const long MiB = 1024 * 1024;

    [Test]
    public async Task ADiskThatFillsStopsTheRecordingAsDiskFullWithACleanFileAndTheNextStartIsRefused()
    {
        Tmpfs? disk = null;
        FaultRig? rig = null;
        try
        {
            rig = await FaultRig.StartAsync(storageExtra: "min_free_mb = 2\nblock_percent = 95\nwarn_percent = 80",
                prepare: d => disk = new Tmpfs(d.File("recordings"), 8 * 1024));
            var id = await rig.StartRecordingAsync();
            await rig.WaitForFramesAsync(rig.Files, 20);

            // Something else on the card (not a recording, so retention cannot delete it) takes all
            // but half of storage.min_free_mb while the recording runs: the guard (every second) must
            // stop the recording before FFmpeg (at most 2 Mbit/s) meets ENOSPC some 4 s later.
            var filler = Fill(Path.Combine(disk!.Path, "other-data"), leave: MiB);
            TestContext.Out.WriteLine($"filler {filler} bytes; {DiskSpace.Of(disk.Path).Available} bytes left");

            var stopped = await FaultRig.StatusAsync(rig.Subscribed, "STOPPED", seconds: 30);
            Assert.That(stopped.GetProperty("recording_id").GetString(), Is.EqualTo(id));
            Assert.That(stopped.GetProperty("reason").GetString(), Is.EqualTo("disk_full"), stopped.ToString());
            FaultRig.AssertV1Only(await FaultRig.StatusAsync(rig.V1, "STOPPED"));
            Assert.That(await rig.IsRecordingAsync(), Is.False);
            Assert.That(FaultRig.RecorderPids(rig.RecordingsDir), Is.Empty);
            var files = rig.Files();
            rig.AssertDecodeCleanly(files);
            Assert.That((await rig.RecordingInfoAsync(files[^1])).GetProperty("reason").GetString(), Is.EqualTo("disk_full"));

            var refused = await rig.ErrorAsync("start_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
            Assert.That(refused.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCode.InsufficientStorage), refused.ToString());
            Assert.That(refused.GetProperty("message").GetString(), Does.StartWith("Insufficient storage"));
            Assert.That(await rig.IsRecordingAsync(), Is.False);
            // Deleting what was just recorded could not have made room (the rest of the card is not
            // ours to delete): the refused start must not have cost the recording.
            Assert.That(rig.Files(), Is.EqualTo(files), "a refused start deleted recordings that could not have made room");

            // Room again (the other data goes): recording works.
            Directory.Delete(Path.Combine(disk.Path, "other-data"), recursive: true);
            await rig.AssertNewRecordingWorksAsync();
        }
        finally
        {
            if (rig is not null) await rig.DisposeAsync();
            disk?.Dispose();
        }
    }

    [Test]
    public async Task LessThanMinFreeMbUnderBlockPercentRefusesTheStartWithMinus32007NamingMinFreeMb()
    {
        Tmpfs? disk = null;
        FaultRig? rig = null;
        try
        {
            // 4 MiB, empty: usage far under block_percent, but less free than min_free_mb (8).
            rig = await FaultRig.StartAsync(storageExtra: "min_free_mb = 8\nblock_percent = 90\nwarn_percent = 80",
                prepare: d => disk = new Tmpfs(d.File("recordings"), 4 * 1024));
            var storage = await rig.CallAsync("get_storage_info");
            Assert.That(storage.GetProperty("usage_percentage").GetDouble(), Is.LessThan(90), storage.ToString());
            Assert.That(storage.GetProperty("available_space").GetInt64(), Is.LessThan(8 * MiB));

            var refused = await rig.ErrorAsync("start_recording", $$"""{"device":"{{FaultRig.Device}}"}""");
            Assert.That(refused.GetProperty("code").GetInt32(), Is.EqualTo(RpcErrorCode.InsufficientStorage), refused.ToString());
            Assert.That(refused.GetProperty("message").GetString(), Does.Match(@"^Insufficient storage: [\d.]+ MB free \(storage\.min_free_mb 8\)$"));
            Assert.That(await rig.IsRecordingAsync(), Is.False, "refused, not accepted and stopped later");
            Assert.That(rig.Files(), Is.Empty);
            Assert.That(FaultRig.RecorderPids(rig.RecordingsDir), Is.Empty);
            Assert.That(rig.Subscribed.Notifications.Select(n => n.RootElement.GetProperty("method").GetString()), Does.Not.Contain("recording_status_update"));

            // min_free_mb is live: lowered, the same card records.
            var config = await File.ReadAllTextAsync(rig.Fixture.Host.ConfigPath);
            await File.WriteAllTextAsync(rig.Fixture.Host.ConfigPath, config.Replace("min_free_mb = 8", "min_free_mb = 1"));
            await Poll.UntilAsync(() => rig.Fixture.Host.Host.Config.Current.Storage.MinFreeMb == 1, "the edit of min_free_mb applied", 15);
            await rig.AssertNewRecordingWorksAsync();
        }
        finally
        {
            if (rig is not null) await rig.DisposeAsync();
            disk?.Dispose();
        }
    }

    // Writes real blocks into dir/filler.bin until only `leave` bytes are available; the bytes written.
    private static long Fill(string dir, long leave)
    {
        Directory.CreateDirectory(dir);
        var chunk = new byte[64 * 1024];
        new Random(1).NextBytes(chunk);
        long written = 0;
        using var f = new FileStream(Path.Combine(dir, "filler.bin"), FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        long available;
        while ((available = DiskSpace.Of(dir).Available) > leave)
        {
            var n = (int)Math.Min(chunk.Length, available - leave);
            f.Write(chunk, 0, n);
            written += n;
        }
        return written;
    }
}
