using Appliance.Processes;
using Appliance.Storage;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>The real ffprobe behind a script that counts its runs: the cache is seen in the runs it saves.</summary>
    private (MediaProbe Probe, Func<int> Runs) CountingProbe()
    {
        var runs = _dir.File("ffprobe-runs");
        var script = _dir.Write("counting-ffprobe", $"#!/bin/sh\necho run >> '{runs}'\nexec ffprobe \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (new MediaProbe(() => script, new ProcessRunner(), NullLogger.Instance), () => File.Exists(runs) ? File.ReadAllLines(runs).Length : 0);
    }

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
            Assert.That((mp4.Codec, mkv.Codec, jpg.Codec, png.Codec), Is.EqualTo(("h264", "h264", "mjpeg", "png")));
            // MP4 keeps the video stream's rate; Matroska does not, so the file's is used: both near the real one.
            Assert.That(mp4.Bitrate, Is.EqualTo(new FileInfo(StorageSamples.Mp4).Length * 8 / 2.0).Within(25).Percent);
            Assert.That(mkv.Bitrate, Is.EqualTo(new FileInfo(StorageSamples.Mkv).Length * 8 / 1.0).Within(25).Percent);
        });
    }

    [Test]
    public void TheVideoStreamsBitrateComesFirstAndTheFilesIsTheFallback()
    {
        var withStream = MediaProbe.Parse("""
            {"streams":[{"codec_type":"audio","codec_name":"aac","bit_rate":"64000"},{"codec_type":"video","codec_name":"hevc","width":640,"height":480,"bit_rate":"900000"}],
             "format":{"duration":"3.000000","bit_rate":"1000000"}}
            """u8.ToArray());
        Assert.That(withStream, Is.EqualTo(new MediaInfo(3.0, 640, 480, "hevc", 900_000)));
        var fileOnly = MediaProbe.Parse("""{"streams":[{"codec_type":"video","codec_name":"h264","width":320,"height":240}],"format":{"bit_rate":"250000"}}"""u8.ToArray());
        Assert.That(fileOnly, Is.EqualTo(new MediaInfo(null, 320, 240, "h264", 250_000)));
        Assert.That(MediaProbe.Parse("""{"streams":[{"codec_type":"video","bit_rate":"N/A"}],"format":{}}"""u8.ToArray()), Is.EqualTo(new MediaInfo(null, null, null)));
    }

    [Test]
    public async Task AnUnreadableFileIsUnknownAndProbedOnlyOnce()
    {
        StorageSamples.Bytes(_rig.Recordings, "garbage.mp4", 5000);
        var file = Stored(MediaKind.Recording, "garbage.mp4");
        var (probe, runs) = CountingProbe();
        var info = await probe.ProbeAsync(file);
        Assert.That(info.Duration, Is.Null);
        Assert.That(info.Resolution, Is.Null);
        Assert.That(runs(), Is.EqualTo(1));
        await probe.ProbeAsync(Stored(MediaKind.Recording, "garbage.mp4"));
        Assert.That(runs(), Is.EqualTo(1), "cached as unknown");
    }

    [Test]
    public async Task TheCacheIsKeyedBySizeAndModificationTime()
    {
        var path = StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");
        var (probe, runs) = CountingProbe();
        Assert.That((await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"))).Duration, Is.EqualTo(2.0).Within(0.05));
        Assert.That(runs(), Is.EqualTo(1));
        for (var i = 0; i < 5; i++) await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(runs(), Is.EqualTo(1), "unchanged file: no new ffprobe");

        // Replaced by a shorter recording under the same name: probed again, new answer.
        File.Copy(StorageSamples.Mkv, path, overwrite: true);
        StorageSamples.SetAge(path, TimeSpan.FromMinutes(1));
        var info = await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(runs(), Is.EqualTo(2));
        Assert.That(info.Duration, Is.EqualTo(1.0).Within(0.05));
    }

    [Test]
    public async Task AMissingFfprobeGivesUnknownNotAnError()
    {
        var probe = new MediaProbe(() => "/nonexistent/ffprobe", new ProcessRunner(), NullLogger.Instance);
        StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");
        var info = await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));
        Assert.That(info, Is.EqualTo(MediaInfo.Unknown));
    }

    [Test]
    public async Task ProbesRunInTheirOwnProcessGroupsAndAreRecordedForCrashRecovery()
    {
        // A stand-in ffprobe that reports its process group and the registry file while it runs.
        var state = _dir.File("state");
        var registry = new ChildProcessRegistry(state);
        var seen = _dir.File("seen");
        var script = _dir.Write("spying-ffprobe", $"#!/bin/sh\ncut -d' ' -f5 /proc/$$/stat > '{seen}'\necho $$ >> '{seen}'\ncat '{registry.FilePath}' >> '{seen}'\nexec ffprobe \"$@\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var probe = new MediaProbe(() => script, new ProcessRunner(registry), NullLogger.Instance);
        StorageSamples.Copy(StorageSamples.Mp4, _rig.Recordings, "a.mp4");

        var info = await probe.ProbeAsync(Stored(MediaKind.Recording, "a.mp4"));

        Assert.That(info.Duration, Is.EqualTo(2.0).Within(0.05));
        var lines = File.ReadAllLines(seen);
        Assert.That(lines[0], Is.EqualTo(lines[1]), "leads its own process group");
        Assert.That(string.Join('\n', lines[2..]), Does.Contain($"\"pid\": {lines[1]}"), "recorded while it ran");
        Assert.That(ChildProcessRegistry.ReadFile(registry.FilePath), Is.Empty, "forgotten once it ended");
    }
}
