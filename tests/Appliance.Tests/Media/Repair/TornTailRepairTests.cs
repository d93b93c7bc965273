using Appliance.Media.Recordings.Repair;
using Appliance.Tests.Support;

namespace Appliance.Tests.Media.Repair;

/// <summary>
/// Real recordings (made by the real ffmpeg with the recording's muxer options) cut at many
/// offsets, zero-filled and garbage-extended, then repaired and decoded by the real ffprobe:
/// what stays must decode without a single error line, and hold exactly the frames of the
/// complete fragments. Each test has its own instance and directory, so they run side by side
/// (most of their time is ffprobe starting up and fsync).
/// </summary>
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class TornTailRepairTests
{
    private TestDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TestDirectory();

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    [TestCase("mp4")]
    [TestCase("mkv")]
    public void AWholeRecordingIsIntactAndStaysByteIdentical(string format)
    {
        var file = _dir.File("whole." + format);
        File.Copy(RecordingSamples.Clean(format), file);
        var hash = Ffprobe.Hash(file);
        var modified = File.GetLastWriteTimeUtc(file);
        var map = FragmentMap.Of(file);

        var result = TornTailRepair.Repair(file);

        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Intact), result.Reason);
            Assert.That(result.Container, Is.EqualTo(format == "mp4" ? RecordingContainer.Mp4 : RecordingContainer.Matroska));
            Assert.That(result.Changed, Is.False);
            Assert.That(result.NewLength, Is.EqualTo(result.OldLength));
            Assert.That(result.OldLength, Is.EqualTo(new FileInfo(file).Length));
            Assert.That(Ffprobe.Hash(file), Is.EqualTo(hash), "content");
            Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(modified), "an intact file is not even opened for writing");
            // Known from its two ends: the trailer (mfra index, Matroska Segment size) ffmpeg writes at a clean close.
            Assert.That(result.Reason, Does.StartWith("closed cleanly"));
            if (format == "mp4") Assert.That(result.Reason, Does.EndWith($"lists {map.Fragments.Count} fragments"));
            Assert.That(map.Fragments, Has.Count.EqualTo(4), "the sample: four 1 s fragments");
        });
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void EveryCutThroughTheLastTwoFragmentsLeavesExactlyTheCompleteOnes(string variant)
    {
        var ext = RecordingVariants.Extension(variant);
        var whole = _dir.File("whole." + ext);
        var original = RecordingVariants.Write(variant, whole);
        var map = FragmentMap.Of(whole);
        Assert.That(Ffprobe.CountFrames(whole), Is.EqualTo(new ProbeReport(map.TotalFrames, [])), "the uncut file decodes cleanly");

        // Every 331 bytes from inside the third-last fragment to the end, and each fragment boundary ±1.
        // With open clusters every block boundary makes another file to decode (~0.25 s of ffprobe
        // start-up each): there, the last fragment only.
        var from = RecordingVariants.KeepsBlocks(variant) ? map.Fragments[^2].End - 500 : map.Fragments[^3].End - 500;
        var cuts = new SortedSet<long>();
        for (var c = from; c <= original.Length; c += 331) cuts.Add(c);
        foreach (var f in map.Fragments) cuts.UnionWith([f.End - 1, f.End, f.End + 1]);
        cuts.Add(original.Length);
        cuts.RemoveWhere(c => c > original.Length || c < map.Fragments[0].End);

        // Repair every cut; decode each distinct repaired content once, two at a time.
        var cut = _dir.File("cut." + ext);
        var repaired = new List<(long At, RepairResult Result, string Hash)>();
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var at in cuts)
        {
            File.WriteAllBytes(cut, original.AsSpan(0, (int)at));
            var result = TornTailRepair.Repair(cut);
            var bytes = File.ReadAllBytes(cut);
            var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes));
            contents.TryAdd(hash, bytes);
            repaired.Add((at, result, hash));
            AssertIsAPrefix(variant, original, cut, $"{variant} cut at {at}: {result.Outcome} {result.NewLength} ({result.Reason})");
        }
        var probes = Ffprobe.CountFramesOfEach(contents, _dir.Path, "." + ext);

        foreach (var (at, result, hash) in repaired)
        {
            var (frames, end) = RecordingVariants.KeepsBlocks(variant) ? map.WholeBlocksBefore(at) : map.WholeFragmentsBefore(at);
            if (at == original.Length) end = at; // the index (mfra, Cues) after the last fragment stays too
            var mustWrite = end != at || (RecordingVariants.HasSegmentSize(variant) && at < original.Length);
            var probe = probes[hash];
            var context = $"{variant} cut at {at} of {original.Length}: {result.Outcome} {result.NewLength} ({result.Reason}); ffprobe {probe}";
            Assert.That(result.Outcome, Is.EqualTo(mustWrite ? RepairOutcome.Trimmed : RepairOutcome.Intact), context);
            Assert.That(result.Changed, Is.EqualTo(mustWrite), context);
            Assert.That(result.NewLength, Is.EqualTo(end), context);
            Assert.That(contents[hash], Has.Length.EqualTo(end), context);
            Assert.That(probe.Errors, Is.Empty, context);
            Assert.That(probe.Frames, Is.EqualTo(frames), context);
        }
        Assert.That(repaired, Has.Count.GreaterThan(RecordingVariants.KeepsBlocks(variant) ? 100 : 200), "cuts checked");
        Assert.That(repaired.Select(r => r.Result.Outcome).Distinct(), Is.EquivalentTo(new[] { RepairOutcome.Trimmed, RepairOutcome.Intact }));
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void CutsBeforeTheFirstCompleteFragmentLeaveNoFramesAndAnIncompleteHeaderUntouched(string variant)
    {
        var ext = RecordingVariants.Extension(variant);
        var whole = _dir.File("whole." + ext);
        var original = RecordingVariants.Write(variant, whole);
        var map = FragmentMap.Of(whole);
        var firstFrame = map.Fragments[0].Start;

        // Every 23 bytes through the header (ftyp+moov / EBML, SeekHead, Info, Tracks, Tags), then every
        // 401 up to the first complete fragment (with open clusters: the first complete block).
        var firstKept = RecordingVariants.KeepsBlocks(variant) ? map.End(map.Packets[0]) : map.Fragments[0].End;
        var cuts = new SortedSet<long>();
        for (long c = 0; c < firstFrame; c += 23) cuts.Add(c);
        for (var c = firstFrame; c < firstKept; c += 401) cuts.Add(c);
        cuts.Add(firstKept - 1);

        var cut = _dir.File("cut." + ext);
        var outcomes = new List<RepairOutcome>();
        foreach (var at in cuts)
        {
            File.WriteAllBytes(cut, original.AsSpan(0, (int)at));
            var hash = Ffprobe.Hash(cut);
            var result = TornTailRepair.Repair(cut);
            var context = $"{variant} cut at {at}: {result.Outcome} {result.NewLength} ({result.Reason})";
            outcomes.Add(result.Outcome);
            Assert.That(result.Outcome, Is.AnyOf(RepairOutcome.Unplayable, RepairOutcome.NoFragments), context);
            if (result.Outcome == RepairOutcome.Unplayable)
            {
                Assert.That(Ffprobe.Hash(cut), Is.EqualTo(hash), "an unplayable file is left as it is: " + context);
                Assert.That(result.NewLength, Is.EqualTo(at), context);
                Assert.That(result.Changed, Is.False, context);
            }
            else
            {
                Assert.That(result.NewLength, Is.LessThan(firstFrame), context);
                Assert.That(new FileInfo(cut).Length, Is.EqualTo(result.NewLength), context);
                Assert.That(Ffprobe.CountFrames(cut).Frames ?? 0, Is.Zero, context);
                AssertIsAPrefix(variant, original, cut, context);
            }
        }
        Assert.That(outcomes[0], Is.EqualTo(RepairOutcome.Unplayable), "empty file");
        Assert.That(outcomes, Does.Contain(RepairOutcome.Unplayable).And.Contain(RepairOutcome.NoFragments));
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void ZerosAppendedToAWholeRecordingAreCutBackToTheOriginalBytes(string variant)
    {
        var file = _dir.File("zeros." + RecordingVariants.Extension(variant));
        var original = RecordingVariants.Write(variant, file);
        var hash = Ffprobe.Hash(file);
        using (var s = new FileStream(file, FileMode.Append)) s.Write(new byte[65536]);

        var result = TornTailRepair.Repair(file);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.BytesCut, Is.EqualTo(65536), result.Reason);
        Assert.That(result.Reason, Does.Contain("65536 zero bytes"));
        Assert.That(Ffprobe.Hash(file), Is.EqualTo(hash), "byte-identical to the recording");
        Assert.That(new FileInfo(file).Length, Is.EqualTo(original.Length));
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void ATornFragmentFollowedByZerosIsCutWithThem(string variant)
    {
        var file = _dir.File("torn-zeros." + RecordingVariants.Extension(variant));
        var original = RecordingVariants.Write(variant, file);
        var map = FragmentMap.Of(file);
        // The file's size reached the disk but its last blocks did not: half of the last fragment, then zeros.
        var at = (map.Fragments[^1].Start + map.Fragments[^1].End) / 2;
        using (var s = new FileStream(file, FileMode.Open))
        {
            s.SetLength(at);
            s.Seek(0, SeekOrigin.End);
            s.Write(new byte[100_000]);
        }

        var result = TornTailRepair.Repair(file);

        var (frames, end) = RecordingVariants.KeepsBlocks(variant) ? map.WholeBlocksBefore(at) : map.WholeFragmentsBefore(at);
        var probe = Ffprobe.CountFrames(file);
        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.NewLength, Is.EqualTo(end), result.Reason);
        Assert.That(probe, Is.EqualTo(new ProbeReport(frames, [])).Using<ProbeReport>(SameReport));
        AssertIsAPrefix(variant, original, file, result.Reason);
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void AFragmentWhoseLastBlocksNeverReachedTheDiskIsDropped(string variant)
    {
        var file = _dir.File("zeroed." + RecordingVariants.Extension(variant));
        var original = RecordingVariants.Write(variant, file);
        var map = FragmentMap.Of(file);
        // Every box/element size fits, but the last 3000 bytes of the last fragment read back as zeros.
        var last = map.Fragments[^1];
        using (var s = new FileStream(file, FileMode.Open))
        {
            s.SetLength(last.End);
            s.Seek(last.End - 3000, SeekOrigin.Begin);
            s.Write(new byte[3000]);
        }

        var result = TornTailRepair.Repair(file);

        var (frames, end) = RecordingVariants.KeepsBlocks(variant) ? map.WholeBlocksBefore(last.End - 3000) : map.WholeFragmentsBefore(last.End - 3000);
        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.NewLength, Is.EqualTo(end), result.Reason);
        Assert.That(frames, Is.LessThan(map.TotalFrames));
        Assert.That(Ffprobe.CountFrames(file), Is.EqualTo(new ProbeReport(frames, [])).Using<ProbeReport>(SameReport));
        AssertIsAPrefix(variant, original, file, result.Reason);
    }

    [TestCaseSource(typeof(RecordingVariants), nameof(RecordingVariants.All))]
    public void GarbageAfterTheLastFragmentIsCut(string variant)
    {
        var file = _dir.File("garbage." + RecordingVariants.Extension(variant));
        var original = RecordingVariants.Write(variant, file);
        var hash = Ffprobe.Hash(file);
        var garbage = new byte[5000];
        new Random(20261125).NextBytes(garbage);
        using (var s = new FileStream(file, FileMode.Append)) s.Write(garbage);

        var result = TornTailRepair.Repair(file);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.BytesCut, Is.EqualTo(garbage.Length), result.Reason);
        Assert.That(Ffprobe.Hash(file), Is.EqualTo(hash), "byte-identical to the recording");
        Assert.That(new FileInfo(file).Length, Is.EqualTo(original.Length));
    }

    [TestCase("mp4")]
    [TestCase("mkv")]
    public void InspectTellsWhatRepairWouldDoAndWritesNothing(string format)
    {
        var file = _dir.File("inspect." + format);
        var original = File.ReadAllBytes(RecordingSamples.Clean(format));
        File.WriteAllBytes(file, original.AsSpan(0, original.Length - 20_000));
        var hash = Ffprobe.Hash(file);

        var inspected = TornTailRepair.Inspect(file);

        Assert.That(inspected.Outcome, Is.EqualTo(RepairOutcome.Trimmed), inspected.Reason);
        Assert.That(inspected.NewLength, Is.LessThan(inspected.OldLength));
        Assert.That(inspected.Changed, Is.False);
        Assert.That(Ffprobe.Hash(file), Is.EqualTo(hash));

        var repaired = TornTailRepair.Repair(file);
        Assert.That(repaired with { Changed = false }, Is.EqualTo(inspected));
        Assert.That(repaired.Changed, Is.True);
    }

    [TestCase("mp4-long")]
    [TestCase("mkv-long")]
    public void ACleanlyClosedRecordingCostsAFewReadsAtItsEnds(string sample)
    {
        var file = RecordingSamples.Clean(sample);
        Assert.That(FragmentMap.Of(file).Fragments, Has.Count.EqualTo(8));

        var result = TornTailRepair.Inspect(file, out var bytesRead);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Intact), result.Reason);
        Assert.That(result.Reason, Does.StartWith("closed cleanly"));
        // The first 4 KiB window (header), the last 4 KiB (no zero tail), the trailer's window.
        Assert.That(bytesRead, Is.LessThanOrEqualTo(3 * 4096L), $"read {bytesRead} of {result.OldLength} bytes");
    }

    [TestCase("mp4-long")]
    [TestCase("mkv-long")]
    public void AKilledRecordingCostsOnlyItsHeaders(string sample)
    {
        var map = FragmentMap.Of(RecordingSamples.Clean(sample));
        var bytes = File.ReadAllBytes(RecordingSamples.Clean(sample));
        // Without its trailer (and so without the Matroska Segment size): what a killed ffmpeg leaves.
        var file = _dir.File("killed." + sample[..3]);
        File.WriteAllBytes(file, bytes.AsSpan(0, (int)map.Fragments[^1].End));
        if (sample.StartsWith("mkv", StringComparison.Ordinal))
        {
            var whole = File.ReadAllBytes(file);
            var (at, width) = RecordingVariants.SegmentSizeField(whole);
            whole[at] = (byte)(0xFF >> (width - 1));
            whole.AsSpan(at + 1, width - 1).Fill(0xFF);
            File.WriteAllBytes(file, whole);
        }

        var result = TornTailRepair.Inspect(file, out var bytesRead);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Intact), result.Reason);
        Assert.That(result.Reason, Does.StartWith($"{map.Fragments.Count} complete"));
        // One 4 KiB window for the header, one per fragment (its moof and mdat headers, or its
        // Cluster header), one for the last bytes (no zero tail), one for the trailer looked for.
        Assert.That(bytesRead, Is.LessThanOrEqualTo((map.Fragments.Count + 3) * 4096L), $"read {bytesRead} of {result.OldLength} bytes");
        Assert.That(bytesRead, Is.LessThan(result.OldLength / 4));
    }

    [Test]
    public void WhatAKillBeforeTheFirstWriteLeavesIsUnplayableAndLeftAlone()
    {
        // Observed: ffmpeg writes the 28-byte ftyp on its own, then the rest 256 KiB at a time.
        var mp4 = _dir.File("ftyp-only.mp4");
        File.WriteAllBytes(mp4, File.ReadAllBytes(RecordingSamples.Clean("mp4")).AsSpan(0, 28));
        var empty = _dir.File("empty.mkv");
        File.WriteAllBytes(empty, []);
        var zeros = _dir.File("zeros.mp4");
        File.WriteAllBytes(zeros, new byte[8192]);

        var results = new[] { mp4, empty, zeros }.Select(TornTailRepair.Repair).ToList();

        Assert.That(results.Select(r => r.Outcome), Is.All.EqualTo(RepairOutcome.Unplayable));
        Assert.That(results.Select(r => (r.OldLength, r.NewLength, r.Changed)), Is.EqualTo(new[] { (28L, 28L, false), (0L, 0L, false), (8192L, 8192L, false) }));
        Assert.That(new[] { mp4, empty, zeros }.Select(f => new FileInfo(f).Length), Is.EqualTo(new[] { 28L, 0L, 8192L }));
        Assert.That(results[0].Reason, Does.Contain("no moov"));
    }

    [Test]
    public void AFileThatIsNeitherMp4NorMatroskaIsNotRecognisedAndLeftAlone()
    {
        var text = _dir.Write("notes.mp4", "this is not a video\n");
        var garbage = _dir.File("garbage.mkv");
        var bytes = new byte[10_000];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0x42; // not 1A (EBML), and "ftyp" is not at 4
        File.WriteAllBytes(garbage, bytes);

        foreach (var f in new[] { text, garbage })
        {
            var hash = Ffprobe.Hash(f);
            var result = TornTailRepair.Repair(f);
            Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.NotRecognised), f);
            Assert.That(result.Container, Is.EqualTo(RecordingContainer.Unknown));
            Assert.That(Ffprobe.Hash(f), Is.EqualTo(hash));
        }
    }

    [Test]
    public void AMissingFileIsAnIoErrorNotAnOutcome() =>
        Assert.That(() => TornTailRepair.Repair(_dir.File("gone.mp4")), Throws.InstanceOf<FileNotFoundException>());

    /// <summary>The repaired file is the start of the original; a closed Matroska file may differ only in its Segment size.</summary>
    private static void AssertIsAPrefix(string variant, byte[] original, string repaired, string context)
    {
        var now = File.ReadAllBytes(repaired);
        Assert.That(now.Length, Is.LessThanOrEqualTo(original.Length), context);
        var expected = original.AsSpan(0, now.Length).ToArray();
        if (RecordingVariants.HasSegmentSize(variant) && now.Length < original.Length)
        {
            var (at, width) = RecordingVariants.SegmentSizeField(original);
            var dataStart = at + width;
            // The Segment now ends where the file does: its size is the rest of the file, same width.
            var size = (long)now.Length - dataStart;
            for (var i = width - 1; i >= 0; i--, size >>= 8) expected[at + i] = (byte)size;
            expected[at] |= (byte)(0x80 >> (width - 1));
        }
        Assert.That(now.AsSpan().SequenceEqual(expected), Is.True, "the repair only cut the file (and fixed the Segment size): " + context);
    }

    private static bool SameReport(ProbeReport a, ProbeReport b) => a.Frames == b.Frames && a.Errors.SequenceEqual(b.Errors);
}
