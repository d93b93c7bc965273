using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>Durations and resolutions read by the real ffprobe from real files, and the cache.</summary>
public class MediaProbeTests
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

    private StoredFile Stored(MediaKind kind, string name) => _rig.Catalog.Find(kind, name).File!;

    [Test]
    public async Task ReadsDurationsAndResolutions()
    {
        StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");
        StorageSamples.Copy(StorageSamples.Mkv, _rig.Recordings, "b.mkv");
        StorageSamples.Copy(StorageSamples.Jpg, _rig.Snapshots, "c.jpg");
        StorageSamples.Copy(StorageSamples.Png, _rig.Snapshots, "d.png");

        var mp4 = await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        var mkv = await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "b.mkv"));
        var jpg = await _rig.Probe.ProbeAsync(Stored(MediaKind.Snapshot, "c.jpg"));
        var png = await _rig.Probe.ProbeAsync(Stored(MediaKind.Snapshot, "d.png"));
        Assert.Multiple(() =>
        {
            Assert.That(mp4.Duration, Is.EqualTo(2.0).Within(0.05));
            Assert.That(mp4.Resolution, Is.EqualTo("160x120"));
            Assert.That(mkv.Duration, Is.EqualTo(1.0).Within(0.05));
            Assert.That(jpg.Resolution, Is.EqualTo("160x120"));
            Assert.That(png.Resolution, Is.EqualTo("320x240"));
        });
    }

    [Test]
    public async Task AnUnreadableFileIsUnknownAndProbedOnlyOnce()
    {
        StorageSamples.Bytes(_rig.Recordings, "garbage.mp4", 5000);
        var file = Stored(MediaKind.Recording, "garbage.mp4");
        var info = await _rig.Probe.ProbeAsync(file);
        Assert.That(info.Duration, Is.Null);
        Assert.That(info.Resolution, Is.Null);
        var runs = _rig.Probe.ProbesRun;
        await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "garbage.mp4"));
        Assert.That(_rig.Probe.ProbesRun, Is.EqualTo(runs), "cached as unknown");
    }

    [Test]
    public async Task TheCacheIsKeyedBySizeAndModificationTime()
    {
        var path = StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");
        await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        var runs = _rig.Probe.ProbesRun;
        for (var i = 0; i < 5; i++) await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(_rig.Probe.ProbesRun, Is.EqualTo(runs), "unchanged file: no new ffprobe");

        // Replaced by a shorter recording under the same name: probed again, new answer.
        File.Copy(StorageSamples.Mkv, path, overwrite: true);
        StorageSamples.SetAge(path, TimeSpan.FromMinutes(1));
        var info = await _rig.Probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(_rig.Probe.ProbesRun, Is.EqualTo(runs + 1));
        Assert.That(info.Duration, Is.EqualTo(1.0).Within(0.05));
    }

    [Test]
    public async Task AMissingFfprobeGivesUnknownNotAnError()
    {
        var probe = new MediaProbe(() => "/nonexistent/ffprobe", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");
        var info = await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(info, Is.EqualTo(MediaInfo.Unknown));
    }
}
