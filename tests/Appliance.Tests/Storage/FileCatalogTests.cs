using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>Listing, lookup and deletion on real directories.</summary>
public class FileCatalogTests
{
    private TestDirectory _dir = null!;
    private StorageRig _rig = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TestDirectory();
        _rig = StorageRig.In(_dir);
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void ListsNewestFirstThenByNameAndPages()
    {
        StorageSamples.Bytes(_rig.Recordings, "old.mp4", 10, TimeSpan.FromHours(3));
        StorageSamples.Bytes(_rig.Recordings, "mid.mkv", 20, TimeSpan.FromHours(2));
        var tie = DateTime.UtcNow - TimeSpan.FromHours(1);
        foreach (var n in new[] { "tie_a.mp4", "tie_b.mp4" })
        {
            StorageSamples.Bytes(_rig.Recordings, n, 30);
            File.SetLastWriteTimeUtc(Path.Combine(_rig.Recordings, n), tie);
        }
        StorageSamples.Bytes(_rig.Recordings, "new.mp4", 40);
        // Not part of the catalog: wrong extension, hidden temp file, directory, symlink, FIFO.
        StorageSamples.Bytes(_rig.Recordings, "notes.txt", 5);
        StorageSamples.Bytes(_rig.Recordings, ".new.mp4.123.tmp", 5);
        Directory.CreateDirectory(Path.Combine(_rig.Recordings, "dir.mp4"));
        File.CreateSymbolicLink(Path.Combine(_rig.Recordings, "link.mp4"), Path.Combine(_rig.Recordings, "new.mp4"));
        StorageSamples.Run("mkfifo", Path.Combine(_rig.Recordings, "fifo.mp4"));

        var all = _rig.Catalog.List(MediaKind.Recording, 1000, 0);
        Assert.That(all.Files.Select(f => f.Name), Is.EqualTo(new[] { "new.mp4", "tie_b.mp4", "tie_a.mp4", "mid.mkv", "old.mp4" }));
        Assert.That(all.Total, Is.EqualTo(5));
        Assert.That(all.Files[0].Size, Is.EqualTo(40));

        var page = _rig.Catalog.List(MediaKind.Recording, 2, 1);
        Assert.That(page.Files.Select(f => f.Name), Is.EqualTo(new[] { "tie_b.mp4", "tie_a.mp4" }));
        Assert.That(page.Total, Is.EqualTo(5));
        Assert.That(_rig.Catalog.List(MediaKind.Recording, 10, 5).Files, Is.Empty);
        Assert.That(_rig.Catalog.List(MediaKind.Snapshot, 10, 0).Total, Is.Zero);
    }

    [Test]
    public void AMissingDirectoryIsAnEmptyCollection()
    {
        Directory.Delete(_rig.Snapshots);
        Assert.That(_rig.Catalog.List(MediaKind.Snapshot, 100, 0).Total, Is.Zero);
    }

    [Test]
    public void ASymlinkPointingOutsideIsNeverFollowedNorDeleted()
    {
        var outside = StorageSamples.Bytes(_dir.Path, "secret.mp4", 77);
        var link = Path.Combine(_rig.Recordings, "escape.mp4");
        File.CreateSymbolicLink(link, outside);

        var lookup = _rig.Catalog.Find(MediaKind.Recording, "escape.mp4");
        Assert.That(lookup.Status, Is.EqualTo(LookupStatus.NotFound));
        Assert.That(lookup.Message, Is.EqualTo("Recording not found: escape.mp4"));
        Assert.That(lookup.Detail, Does.Contain("symbolic link"));

        var outcome = _rig.Catalog.Delete(MediaKind.Recording, "escape.mp4");
        Assert.That(outcome.Status, Is.EqualTo(DeleteStatus.NotFound));
        Assert.That(File.Exists(outside), Is.True, "the target is untouched");
        Assert.That(new FileInfo(link).LinkTarget, Is.EqualTo(outside), "the link itself is untouched");
    }

    [TestCase("../secret.mp4")]
    [TestCase("/etc/passwd")]
    [TestCase("..\\secret.mp4")]
    [TestCase("sub/secret.mp4")]
    [TestCase("secret.mp4\0.mp4")]
    public void TraversalNamesAreRefusedBeforeTouchingAnything(string name)
    {
        var outside = StorageSamples.Bytes(_dir.Path, "secret.mp4", 77);
        Directory.CreateDirectory(Path.Combine(_rig.Recordings, "sub"));
        var inSub = StorageSamples.Bytes(Path.Combine(_rig.Recordings, "sub"), "secret.mp4", 5);

        Assert.That(_rig.Catalog.Find(MediaKind.Recording, name).Status, Is.EqualTo(LookupStatus.InvalidName));
        Assert.That(_rig.Catalog.Delete(MediaKind.Recording, name).Status, Is.EqualTo(DeleteStatus.InvalidName));
        Assert.Multiple(() =>
        {
            Assert.That(File.Exists(outside), Is.True);
            Assert.That(File.Exists(inSub), Is.True);
            Assert.That(File.Exists("/etc/passwd"), Is.True);
        });
    }

    [Test]
    public void DeleteRemovesTheFileAndASecondDeleteIsNotFound()
    {
        var path = StorageSamples.Bytes(_rig.Snapshots, "a.jpg", 100);
        var first = _rig.Catalog.Delete(MediaKind.Snapshot, "a.jpg");
        Assert.That(first.Status, Is.EqualTo(DeleteStatus.Deleted));
        Assert.That(first.File!.Size, Is.EqualTo(100));
        Assert.That(File.Exists(path), Is.False);

        var second = _rig.Catalog.Delete(MediaKind.Snapshot, "a.jpg");
        Assert.That(second.Status, Is.EqualTo(DeleteStatus.NotFound));
        Assert.That(second.Message, Is.EqualTo("Snapshot not found: a.jpg"));
    }

    [Test]
    public void AFileBeingWrittenIsNotDeleted()
    {
        var path = StorageSamples.Bytes(_rig.Recordings, "live.mp4", 100);
        _rig.Active.Paths.Add(path);
        var outcome = _rig.Catalog.Delete(MediaKind.Recording, "live.mp4");
        Assert.That(outcome.Status, Is.EqualTo(DeleteStatus.BeingWritten));
        Assert.That(outcome.Message, Is.EqualTo("live.mp4 is being recorded; stop the recording first"));
        Assert.That(File.Exists(path), Is.True);

        _rig.Active.Paths.Clear();
        Assert.That(_rig.Catalog.Delete(MediaKind.Recording, "live.mp4").Status, Is.EqualTo(DeleteStatus.Deleted));
    }

    [Test]
    public void ConcurrentDeletesOfOneFileDeleteItOnce()
    {
        StorageSamples.Bytes(_rig.Recordings, "race.mp4", 100);
        var outcomes = Enumerable.Range(0, 8).AsParallel().Select(_ => _rig.Catalog.Delete(MediaKind.Recording, "race.mp4").Status).ToList();
        Assert.That(outcomes.Count(s => s == DeleteStatus.Deleted), Is.EqualTo(1));
        Assert.That(outcomes.Count(s => s == DeleteStatus.NotFound), Is.EqualTo(7));
    }
}
