using Appliance.Media.Recordings.Repair;
using Appliance.Tests.Gpio;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Appliance.Tests.Media.Repair;

/// <summary>The startup pass: which files it repairs, which it leaves alone, and what it survives.</summary>
public class RecordingRecoveryTests
{
    private TestDirectory _dir = null!;
    private DateTime _start;

    [SetUp]
    public void CreateDirectory()
    {
        _dir = new TestDirectory();
        _start = DateTime.UtcNow - TimeSpan.FromMinutes(1);
    }

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    [Test]
    public async Task TornRecordingsFromBeforeTheStartAreRepairedAndTheOthersLeftAlone()
    {
        var tornMp4 = Torn("a_torn.mp4", "mp4");
        var tornMkv = Torn("b_torn.mkv", "mkv");
        var whole = Old(Copy("c_whole.mp4", "mp4"));
        var notMedia = Old(_dir.Write("d_notes.mkv", "not a recording"));
        var upper = Torn("e_TORN.MP4", "mp4");
        var newer = Copy("f_new.mp4", "mp4", cutBytes: 10_000); // written after the start: a new recording's
        var active = Torn("g_active.mkv", "mkv");
        var otherKind = Old(Copy("h_torn.mov", "mp4", cutBytes: 10_000));
        var untouched = new[] { newer, active, otherKind }.ToDictionary(f => f, Ffprobe.Hash);
        var asked = new List<string>();
        var log = new ListLogger<RecordingRecovery>();

        var results = await new RecordingRecovery(log).RunAsync(_dir.Path, _start, path => { asked.Add(path); return path == active; });

        Assert.That(results.Select(r => (Path.GetFileName(r.Path), r.Outcome)), Is.EqualTo(new[]
        {
            ("a_torn.mp4", RepairOutcome.Trimmed),
            ("b_torn.mkv", RepairOutcome.Trimmed),
            ("c_whole.mp4", RepairOutcome.Intact),
            ("d_notes.mkv", RepairOutcome.NotRecognised),
            ("e_TORN.MP4", RepairOutcome.Trimmed),
        }));
        foreach (var f in new[] { tornMp4, tornMkv, upper })
            Assert.That(Ffprobe.CountFrames(f).Errors, Is.Empty, f);
        Assert.That(untouched.Keys.Select(Ffprobe.Hash), Is.EqualTo(untouched.Values), "new, active and other files are not touched");
        Assert.That(asked, Does.Contain(active).And.Not.Contain(newer));

        var trimmed = results[0];
        Assert.That(trimmed.BytesCut, Is.GreaterThan(0));
        Assert.That(log.At(LogLevel.Warning), Has.Some.Contains(tornMp4).And.Some.Contains($"cut {trimmed.BytesCut} bytes"));
        Assert.That(log.At(LogLevel.Warning).Count(m => m.Contains("torn tail")), Is.EqualTo(3));
        var summary = log.At(LogLevel.Information).Single(m => m.StartsWith("Recording recovery in", StringComparison.Ordinal));
        Assert.That(summary, Does.Contain("5 checked, 3 trimmed (" + results.Sum(r => r.BytesCut) + " bytes cut)").And.Contain("2 skipped"));
    }

    [Test]
    public async Task AFileThatVanishesMidPassIsPassedOver()
    {
        var first = Torn("a.mp4", "mp4");
        var gone = Torn("z.mkv", "mkv");
        var log = new ListLogger<RecordingRecovery>();

        // Asked about the first file, the predicate deletes the second one, already listed.
        var results = await new RecordingRecovery(log).RunAsync(_dir.Path, _start, path =>
        {
            if (path == first) File.Delete(gone);
            return false;
        });

        Assert.That(results.Select(r => r.Path), Is.EqualTo(new[] { first }));
        Assert.That(results[0].Outcome, Is.EqualTo(RepairOutcome.Trimmed));
        Assert.That(log.At(LogLevel.Information).Single(m => m.StartsWith("Recording recovery in", StringComparison.Ordinal)), Does.Contain("1 gone"));
    }

    [Test]
    public async Task AnUnreadableFileIsReportedAndThePassGoesOn()
    {
        var bad = Torn("a_bad.mp4", "mp4");
        var good = Torn("b_good.mkv", "mkv");
        var log = new ListLogger<RecordingRecovery>();
        // Root reads everything: the disk error is made by the repair the pass is given.
        var recovery = new RecordingRecovery(log, path => path == bad ? throw new IOException("Input/output error") : TornTailRepair.Repair(path));

        var results = await recovery.RunAsync(_dir.Path, _start, _ => false);

        Assert.That(results.Select(r => r.Outcome), Is.EqualTo(new[] { RepairOutcome.Unreadable, RepairOutcome.Trimmed }));
        Assert.That(results[0].Reason, Is.EqualTo("Input/output error"));
        Assert.That(results[0].OldLength, Is.EqualTo(new FileInfo(bad).Length));
        Assert.That(log.At(LogLevel.Warning), Has.Some.Contains(bad).And.Contains("could not be checked"));
        Assert.That(Ffprobe.CountFrames(good).Errors, Is.Empty);
    }

    [Test]
    public async Task AMissingDirectoryHasNothingToRepair()
    {
        var results = await new RecordingRecovery(new ListLogger<RecordingRecovery>()).RunAsync(_dir.File("nowhere"), _start, _ => false);
        Assert.That(results, Is.Empty);
    }

    [Test]
    public void ACancelledPassStops()
    {
        Torn("a.mp4", "mp4");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.That(async () => await new RecordingRecovery(new ListLogger<RecordingRecovery>()).RunAsync(_dir.Path, _start, _ => false, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());
    }

    [TestCase("mp4")]
    [TestCase("mkv")]
    public async Task ARecordingWithoutASingleFrameIsRemovedAndOneWithFramesKept(string format)
    {
        // Killed within a segment's first fragment: only the header reached the disk (or not even that).
        var clean = File.ReadAllBytes(RecordingSamples.Clean(format));
        var insideFirstFrame = (int)FragmentMap.Of(RecordingSamples.Clean(format)).Packets[0].Position + 40;
        var headerOnly = _dir.File("a_header." + format);
        File.WriteAllBytes(headerOnly, clean.AsSpan(0, insideFirstFrame).ToArray());
        Old(headerOnly);
        var nothing = Old(_dir.Write("b_empty." + format, ""));
        var torn = Torn("c_torn." + format, format);
        var log = new ListLogger<RecordingRecovery>();

        var results = await new RecordingRecovery(log).RunAsync(_dir.Path, _start, _ => false);

        Assert.That(results.Select(r => (Path.GetFileName(r.Path), r.Outcome)), Is.EqualTo(new[]
        {
            ("a_header." + format, RepairOutcome.NoFragments),
            ("b_empty." + format, RepairOutcome.Unplayable),
            ("c_torn." + format, RepairOutcome.Trimmed),
        }));
        Assert.That(File.Exists(headerOnly), Is.False, "a header and no frame: removed");
        Assert.That(File.Exists(nothing), Is.False, "not even a header: removed");
        Assert.That(Ffprobe.CountFrames(torn).Frames, Is.GreaterThan(0), "a file with frames is kept");
        Assert.That(log.At(LogLevel.Warning).Count(m => m.Contains("removed: it holds no frame")), Is.EqualTo(2));
    }

    /// <summary>A recording cut 10 000 bytes short (inside its last fragment), last written before the start.</summary>
    private string Torn(string name, string format) => Old(Copy(name, format, cutBytes: 10_000));

    private string Copy(string name, string format, int cutBytes = 0)
    {
        var bytes = File.ReadAllBytes(RecordingSamples.Clean(format));
        var path = _dir.File(name);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - cutBytes));
        return path;
    }

    private string Old(string path)
    {
        File.SetLastWriteTimeUtc(path, _start - TimeSpan.FromMinutes(10));
        return path;
    }
}
