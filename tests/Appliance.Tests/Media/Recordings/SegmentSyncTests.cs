using Appliance.Media.Recordings;
using Appliance.Tests.Support;

namespace Appliance.Tests.Media.Recordings;

/// <summary>The fsync policy on real files: it syncs what is new, skips what is not, and counts.</summary>
public class SegmentSyncTests
{
    [Test]
    public void OnlyNewBytesAreSyncedAndEveryNewSegmentAlsoSyncsItsDirectory()
    {
        using var dir = new TestDirectory();
        var sync = new SegmentSync();
        var first = dir.File("cam_1.mp4");
        File.WriteAllBytes(first, new byte[10_000]);

        sync.Sync(first);
        Assert.That(sync.Fsyncs, Is.EqualTo(2), "the directory (new name) and the file");
        Assert.That(sync.BytesSynced, Is.EqualTo(10_000));

        sync.Sync(first);
        Assert.That(sync.Fsyncs, Is.EqualTo(2), "nothing new: no fsync");

        using (var f = new FileStream(first, FileMode.Append)) f.Write(new byte[2_500]);
        sync.Sync(first);
        Assert.That(sync.Fsyncs, Is.EqualTo(3));
        Assert.That(sync.BytesSynced, Is.EqualTo(12_500));

        // Rotation: the tail of the old segment is synced before the new one starts counting.
        using (var f = new FileStream(first, FileMode.Append)) f.Write(new byte[500]);
        var second = dir.File("cam_2.mp4");
        File.WriteAllBytes(second, new byte[4_000]);
        sync.Sync(second);
        Assert.That(sync.Fsyncs, Is.EqualTo(6), "old tail, directory, new file");
        Assert.That(sync.BytesSynced, Is.EqualTo(12_500 + 500 + 4_000));
    }

    [Test]
    public void AVanishedSegmentIsNotAnError()
    {
        using var dir = new TestDirectory();
        var sync = new SegmentSync();
        Assert.DoesNotThrow(() => sync.Sync(dir.File("gone.mp4")));
        Assert.That(sync.BytesSynced, Is.Zero);
    }
}
