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

        sync.Sync(dir.Path, ["cam_1.mp4"]);
        Assert.That(sync.Fsyncs, Is.EqualTo(2), "the directory (new name) and the file");
        Assert.That(sync.BytesSynced, Is.EqualTo(10_000));

        sync.Sync(dir.Path, ["cam_1.mp4"]);
        Assert.That(sync.Fsyncs, Is.EqualTo(2), "nothing new: no fsync");

        using (var f = new FileStream(first, FileMode.Append)) f.Write(new byte[2_500]);
        sync.Sync(dir.Path, ["cam_1.mp4"]);
        Assert.That(sync.Fsyncs, Is.EqualTo(3));
        Assert.That(sync.BytesSynced, Is.EqualTo(12_500));

        // Rotation: the tail of the old segment is synced before the new one starts counting.
        using (var f = new FileStream(first, FileMode.Append)) f.Write(new byte[500]);
        File.WriteAllBytes(dir.File("cam_2.mp4"), new byte[4_000]);
        sync.Sync(dir.Path, ["cam_1.mp4", "cam_2.mp4"]);
        Assert.That(sync.Fsyncs, Is.EqualTo(6), "old tail, new file, directory");
        Assert.That(sync.BytesSynced, Is.EqualTo(12_500 + 500 + 4_000));

        // Short segments: one started and finished between two calls; it is synced whole all the same.
        using (var f = new FileStream(dir.File("cam_2.mp4"), FileMode.Append)) f.Write(new byte[100]);
        File.WriteAllBytes(dir.File("cam_3.mp4"), new byte[3_000]);
        File.WriteAllBytes(dir.File("cam_4.mp4"), new byte[700]);
        sync.Sync(dir.Path, ["cam_1.mp4", "cam_2.mp4", "cam_3.mp4", "cam_4.mp4"]);
        Assert.That(sync.Fsyncs, Is.EqualTo(10), "cam_2's tail, cam_3, cam_4, directory");
        Assert.That(sync.BytesSynced, Is.EqualTo(Directory.GetFiles(dir.Path, "cam_*.mp4").Sum(f => new FileInfo(f).Length)));
    }

    [Test]
    public void AVanishedSegmentIsNotAnError()
    {
        using var dir = new TestDirectory();
        var sync = new SegmentSync();
        Assert.DoesNotThrow(() => sync.Sync(dir.Path, ["gone.mp4"]));
        Assert.That(sync.BytesSynced, Is.Zero);
    }
}
