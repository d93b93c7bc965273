using Appliance.Events;
using Appliance.Health;
using Appliance.Storage;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Storage;

/// <summary>One rule for room to record, before a start and while recording: under block_percent
/// and at least min_free_mb free, after the oldest finished files have gone (a real small tmpfs).</summary>
[NonParallelizable]
public class RecordingRoomTests
{
    private const int FsKiB = 4096;

    [Test]
    public void LessThanMinFreeIsNoRoomEvenUnderBlockPercent()
    {
        using var dir = new TestDirectory();
        using var fs = new Tmpfs(dir.File("recordings"), FsKiB);
        var rig = StorageRig.In(dir, s => { s.MinFreeMb = 3; s.BlockPercent = 95; });
        var state = rig.Guard.Check();
        Assert.That(state.Level, Is.Not.EqualTo(StorageLevel.Critical), "an empty 4 MiB disk is under block_percent");
        Assert.That(state.Disk.Available, Is.GreaterThan(3 * 1024 * 1024), "and has 3 MiB free");
        Assert.That(rig.Guard.HasRoom(state), Is.True);

        StorageSamples.Bytes(fs.Path, "fill.bin", 1536 * 1024); // 2.5 MiB free: 62 % used, under 95 %
        state = rig.Guard.Check();
        Assert.That(state.Level, Is.Not.EqualTo(StorageLevel.Critical));
        Assert.That(rig.Guard.HasRoom(state), Is.False);
        var ex = Assert.Throws<InsufficientStorageException>(() => rig.Guard.EnsureCanRecord())!;
        Assert.That(ex.Message, Does.Match(@"^Insufficient storage: 2(\.\d)? MB free \(storage\.min_free_mb 3\)$"));
        Assert.That(rig.Guard.SpaceWanted(state), Is.EqualTo(3 * 1024 * 1024));
    }

    [Test]
    public async Task TheOldestFinishedRecordingGoesToMakeRoomForANewOne()
    {
        using var dir = new TestDirectory();
        using var fs = new Tmpfs(dir.File("recordings"), FsKiB);
        var rig = StorageRig.In(dir, s => { s.MinFreeMb = 2; s.BlockPercent = 95; });
        var old = StorageSamples.Bytes(fs.Path, "virtual0_2020-01-01_00-00-00.mp4", 1024 * 1024, TimeSpan.FromDays(60));
        var newer = StorageSamples.Bytes(fs.Path, "virtual0_2020-02-01_00-00-00.mp4", 1024 * 1024, TimeSpan.FromDays(30));
        StorageSamples.Bytes(fs.Path, "not-a-recording.bin", 1024 * 1024);
        using var events = new EventHub();
        using var monitor = new StorageMonitor(rig.Guard, new HealthRegistry(events), NullLogger<StorageMonitor>.Instance);
        var room = new RecordingRoom(rig.Guard, rig.Sweeper, monitor);

        Assert.That(rig.Guard.HasRoom(rig.Guard.Check()), Is.False, "1 MiB free < 2 MiB");
        Assert.That(await room.MakeRoomAsync(CancellationToken.None), Is.True);
        Assert.That(File.Exists(old), Is.False, "the oldest finished file went");
        Assert.That(File.Exists(newer), Is.True, "and only as much as needed");

        // Nothing deletable left that would be enough: refused, and nothing else is touched.
        StorageSamples.Bytes(fs.Path, "more.bin", 1536 * 1024);
        var ex = (await Assert.ThrowsAsync<InsufficientStorageException>(() => room.EnsureRoomAsync(CancellationToken.None)))!;
        Assert.That(ex.Message, Does.Contain("storage.min_free_mb 2"));
        Assert.That(File.Exists(Path.Combine(fs.Path, "not-a-recording.bin")), Is.True, "files that are not the service's are never deleted");
    }
}
