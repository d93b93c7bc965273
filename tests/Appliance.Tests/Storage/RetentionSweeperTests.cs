using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>Retention passes over real files: by age, by size, for free space (a real tmpfs), and
/// never a file being written. Counts and bytes are checked exactly.</summary>
public class RetentionSweeperTests
{
    private TestDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TestDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static string[] Left(string dir) => Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Test]
    public async Task AgeDeletesOlderFilesOfBothCollectionsButNotOneBeingWritten()
    {
        var rig = StorageRig.In(_dir);
        rig.Policies.Save(new RetentionPolicy("age", true, MaxAgeDays: 2, MaxSizeGb: 10));
        StorageSamples.Bytes(rig.Recordings, "old1.mp4", 1000, TimeSpan.FromDays(10));
        StorageSamples.Bytes(rig.Recordings, "old2.mkv", 2000, TimeSpan.FromDays(3));
        var live = StorageSamples.Bytes(rig.Recordings, "old-live.mp4", 4000, TimeSpan.FromDays(5));
        StorageSamples.Bytes(rig.Recordings, "new.mp4", 8000, TimeSpan.FromDays(1));
        StorageSamples.Bytes(rig.Snapshots, "old.jpg", 300, TimeSpan.FromDays(4));
        StorageSamples.Bytes(rig.Snapshots, "new.png", 500, TimeSpan.FromHours(1));
        rig.Active.Paths.Add(live);

        var result = await rig.Sweeper.RunAsync();

        Assert.That(result.FilesDeleted, Is.EqualTo(3));
        Assert.That(result.SpaceFreed, Is.EqualTo(1000 + 2000 + 300));
        Assert.That(result.DeletedFiles, Is.EqualTo(new[] { "old1.mp4", "old.jpg", "old2.mkv" }), "oldest first");
        Assert.That(result.Message, Does.Contain("older than 2 days"));
        Assert.That(Left(rig.Recordings), Is.EqualTo(new[] { "new.mp4", "old-live.mp4" }));
        Assert.That(Left(rig.Snapshots), Is.EqualTo(new[] { "new.png" }));

        var again = await rig.Sweeper.RunAsync();
        Assert.That((again.FilesDeleted, again.SpaceFreed), Is.EqualTo((0, 0L)));
    }

    [Test]
    public async Task SizeDeletesTheOldestUntilUnderTheLimit()
    {
        var rig = StorageRig.In(_dir);
        // 0.000004 GiB = 4294 bytes; five files of 1000 bytes (5000) + one being written (1000).
        rig.Policies.Save(new RetentionPolicy("size", true, MaxAgeDays: 30, MaxSizeGb: 0.000004));
        for (var i = 0; i < 5; i++) StorageSamples.Bytes(i % 2 == 0 ? rig.Recordings : rig.Snapshots, $"f{i}{(i % 2 == 0 ? ".mp4" : ".jpg")}", 1000, TimeSpan.FromHours(10 - i));
        var live = StorageSamples.Bytes(rig.Recordings, "oldest-live.mp4", 1000, TimeSpan.FromDays(1));
        rig.Active.Paths.Add(live);

        var result = await rig.Sweeper.RunAsync();

        // 6000 > 4294: the live file cannot go, so f0, f1 go (4000 left).
        Assert.That(result.DeletedFiles, Is.EqualTo(new[] { "f0.mp4", "f1.jpg" }));
        Assert.That(result.SpaceFreed, Is.EqualTo(2000));
        Assert.That(File.Exists(live), Is.True);
        Assert.That(result.Message, Does.Contain("size limit"));
    }

    [TestCase("manual", true)]
    [TestCase("age", false)]
    [TestCase("size", false)]
    public async Task ManualOrDisabledDeletesNothing(string type, bool enabled)
    {
        var rig = StorageRig.In(_dir);
        rig.Policies.Save(new RetentionPolicy(type, enabled, MaxAgeDays: 1, MaxSizeGb: 0.000001));
        StorageSamples.Bytes(rig.Recordings, "old.mp4", 5000, TimeSpan.FromDays(100));
        var result = await rig.Sweeper.RunAsync();
        Assert.That(result.FilesDeleted, Is.Zero);
        Assert.That(result.Message, Does.StartWith("No files deleted"));
        Assert.That(File.Exists(Path.Combine(rig.Recordings, "old.mp4")), Is.True);
    }

    [Test]
    public async Task MinFreeSpaceIsKeptWhateverThePolicyOnlyOnItsFileSystem()
    {
        using var fs = new Tmpfs(_dir.File("recordings"), 4096);
        var rig = StorageRig.In(_dir, s => s.MinFreeMb = 2);
        rig.Policies.Save(new RetentionPolicy("manual", false, 30, 10));
        // 3 × 1 MiB on a 4 MiB tmpfs: 1 MiB available, 2 MiB wanted.
        StorageSamples.Bytes(rig.Recordings, "r1.mp4", 1 << 20, TimeSpan.FromHours(5));
        var live = StorageSamples.Bytes(rig.Recordings, "r0-live.mp4", 1 << 20, TimeSpan.FromHours(9));
        StorageSamples.Bytes(rig.Recordings, "r2.mp4", 1 << 20, TimeSpan.FromHours(1));
        // An even older snapshot on ANOTHER file system: deleting it would not help, so it stays.
        StorageSamples.Bytes(rig.Snapshots, "ancient.jpg", 1000, TimeSpan.FromDays(9));
        rig.Active.Paths.Add(live);

        var result = await rig.Sweeper.RunAsync();

        Assert.That(result.DeletedFiles, Is.EqualTo(new[] { "r1.mp4" }));
        Assert.That(result.SpaceFreed, Is.EqualTo(1 << 20));
        Assert.That(result.Satisfied, Is.True);
        Assert.That(DiskSpace.Of(fs.Path).Available, Is.GreaterThanOrEqualTo(2L << 20));
        Assert.That(Left(rig.Recordings), Is.EqualTo(new[] { "r0-live.mp4", "r2.mp4" }));
        Assert.That(File.Exists(Path.Combine(rig.Snapshots, "ancient.jpg")), Is.True);
    }

    [Test]
    public async Task FreeSpaceForARecordingDeletesOldestFinishedAndNothingWhenThatCannotMakeRoom()
    {
        using var fs = new Tmpfs(_dir.File("recordings"), 4096);
        var rig = StorageRig.In(_dir);
        var live = StorageSamples.Bytes(rig.Recordings, "live.mp4", 2 << 20, TimeSpan.FromHours(3));
        StorageSamples.Bytes(rig.Recordings, "a.mp4", 512 << 10, TimeSpan.FromHours(2));
        StorageSamples.Bytes(rig.Recordings, "b.mp4", 512 << 10, TimeSpan.FromHours(1));
        rig.Active.Paths.Add(live);

        var enough = await rig.Sweeper.FreeSpaceAsync(1536 << 10);
        Assert.That(enough.DeletedFiles, Is.EqualTo(new[] { "a.mp4" }));
        Assert.That(enough.Satisfied, Is.True);

        // Even deleting b.mp4 would not free 4 MiB: nothing is deleted for nothing.
        var tooMuch = await rig.Sweeper.FreeSpaceAsync(4 << 20);
        Assert.That(tooMuch.DeletedFiles, Is.Empty);
        Assert.That(tooMuch.Satisfied, Is.False);
        Assert.That(tooMuch.Message, Does.Contain("not enough space"));
        Assert.That(Left(rig.Recordings), Is.EqualTo(new[] { "b.mp4", "live.mp4" }));
        Assert.That(File.Exists(live), Is.True, "never the file being written");
    }

    [Test]
    public async Task ThePeriodicSweepRunsOnItsOwn()
    {
        var rig = StorageRig.In(_dir, s => { s.RetentionEnabled = true; s.RetentionPolicy = "age"; s.MaxAgeDays = 1; s.CleanupInterval = 1; });
        var old = StorageSamples.Bytes(rig.Recordings, "old.mp4", 10, TimeSpan.FromDays(2));
        rig.Sweeper.Start();
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (File.Exists(old) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.That(File.Exists(old), Is.False, "deleted by the background pass within cleanup_interval");
        }
        finally
        {
            rig.Sweeper.Dispose();
        }
    }

    [Test]
    public void UntilSetThePolicyIsTheConfigsAndFollowsItLive()
    {
        var rig = StorageRig.In(_dir, s => { s.RetentionEnabled = true; s.RetentionPolicy = "size"; s.MaxSizeGb = 3; });
        Assert.That(rig.Policies.Current, Is.EqualTo(new RetentionPolicy("size", true, 30, 3)));
        rig.Config.Current.Storage.MaxSizeGb = 4;
        Assert.That(rig.Policies.Current.MaxSizeGb, Is.EqualTo(4));
        Assert.That(File.Exists(rig.Policies.FilePath), Is.False);

        var stored = rig.Policies.Save(new RetentionPolicy("age", false, 7, 4));
        Assert.That(stored.UpdatedAt, Is.Not.Null);
        Assert.That(File.Exists(rig.Policies.FilePath), Is.True);
        rig.Config.Current.Storage.MaxAgeDays = 99;
        Assert.That(rig.Policies.Current.MaxAgeDays, Is.EqualTo(7), "a stored policy wins over the config");
    }

    [Test]
    public void AnUnreadableStateFileFallsBackToTheConfig()
    {
        Directory.CreateDirectory(_dir.File("state"));
        File.WriteAllText(_dir.File("state/" + RetentionPolicyStore.FileName), "{\"policy_type\":\"forever\"");
        var rig = StorageRig.In(_dir, s => s.RetentionPolicy = "manual");
        Assert.That(rig.Policies.Current.PolicyType, Is.EqualTo("manual"));
    }
}
