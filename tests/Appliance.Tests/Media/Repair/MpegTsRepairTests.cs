using Appliance.Media.Recordings.Repair;
using Appliance.Tests.MediaOps;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Media.Repair;

/// <summary>
/// MPEG-TS recordings (made by the real ffmpeg with the recording's muxer options) cut at many
/// offsets and zero-filled, then repaired and decoded by the real ffprobe: what stays must decode
/// without an error line. A whole file is left byte-identical.
/// </summary>
[Parallelizable(ParallelScope.Children)]
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class MpegTsRepairTests
{
    private const int Packet = MpegTsTailScanner.PacketSize;
    private TestDirectory _dir = null!;

    [SetUp]
    public void CreateDirectory() => _dir = new TestDirectory();

    [TearDown]
    public void RemoveDirectory() => _dir.Dispose();

    [Test]
    public void AWholeTransportStreamIsIntactAndStaysByteIdentical()
    {
        var file = _dir.File("whole.ts");
        File.Copy(RecordingSamples.Clean("ts"), file);
        var before = File.ReadAllBytes(file);
        var modified = File.GetLastWriteTimeUtc(file);
        Assert.That(before.Length % Packet, Is.Zero, "ffmpeg writes whole packets");

        var result = TornTailRepair.Repair(file);

        Assert.Multiple(() =>
        {
            Assert.That(result.Container, Is.EqualTo(RecordingContainer.MpegTs));
            Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Intact), result.Reason);
            Assert.That(result.Reason, Is.EqualTo($"{before.Length / Packet} whole packets, nothing torn"));
            Assert.That(result.Changed, Is.False);
            Assert.That(File.ReadAllBytes(file), Is.EqualTo(before));
            Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(modified), "not even opened for writing");
        });
    }

    // Cuts inside packets all through the file: each is cut back to the start of its last frame and then decodes cleanly.
    [Test]
    public void ATornTailIsCutBackToItsLastWholeFrameAndDecodesCleanly()
    {
        var whole = File.ReadAllBytes(RecordingSamples.Clean("ts"));
        var frames = MediaProbe.Decode(RecordingSamples.Clean("ts")).Frames;
        Assert.That(frames, Is.EqualTo(60), "the sample: 4 s at 15 fps");
        var failures = new List<string>();
        var trimmed = 0;
        for (var i = 1; i <= 12; i++)
        {
            // Offsets spread over the file, never on a packet boundary (+ 97: mid-packet).
            var cut = (int)((long)whole.Length * i / 13) / Packet * Packet + 97;
            var file = _dir.File($"cut-{cut}.ts");
            File.WriteAllBytes(file, whole[..cut]);
            var result = TornTailRepair.Repair(file);
            if (result.Outcome == RepairOutcome.NoFragments)
            {
                failures.Add($"{cut}: no frame kept ({result.Reason})");
                continue;
            }
            Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), $"cut at {cut}: {result.Reason}");
            Assert.That(result.NewLength % Packet, Is.Zero, "whole packets only");
            Assert.That(result.NewLength, Is.LessThan(cut - 97 + 1), "the partial packet and the frame it belonged to are gone");
            Assert.That(result.Reason, Does.Contain("cut short").And.Contain("was being written"));
            var decoded = MediaProbe.Decode(file);
            if (!decoded.IsClean) failures.Add(decoded.ToString());
            else if (decoded.Frames >= frames) failures.Add($"{cut}: {decoded.Frames} frames: nothing was dropped");
            trimmed++;
        }
        Assert.That(failures, Is.Empty);
        Assert.That(trimmed, Is.EqualTo(12));
    }

    [Test]
    public void AZeroFilledTailAfterAPowerCutIsCutAwayWithTheFrameItTore()
    {
        var whole = File.ReadAllBytes(RecordingSamples.Clean("ts"));
        var file = _dir.File("zeros.ts");
        // The last 10 KiB of the file never reached the disk: the length did, the blocks read back as zeros.
        var torn = whole.ToArray();
        Array.Clear(torn, torn.Length - 10 * 1024, 10 * 1024);
        File.WriteAllBytes(file, torn);

        var result = TornTailRepair.Repair(file);

        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
        Assert.That(result.Reason, Does.Contain("zero bytes at the end"));
        Assert.That(result.NewLength, Is.LessThanOrEqualTo(whole.Length - 10 * 1024));
        var decoded = MediaProbe.Decode(file);
        Assert.That(decoded.IsClean, Is.True, decoded.ToString());
    }

    [Test]
    public void AFileWithOnlyTablesOrNotOnePacketIsJudgedEmpty()
    {
        var whole = File.ReadAllBytes(RecordingSamples.Clean("ts"));
        var first = FirstFramePacket(whole);
        Assert.That(first, Is.GreaterThan(0), "PAT and PMT come first");

        var tables = _dir.File("tables.ts");
        // PAT, PMT and half of the first frame's first packet: no whole frame.
        File.WriteAllBytes(tables, whole[..(first + 100)]);
        var result = TornTailRepair.Repair(tables);
        Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.NoFragments), result.Reason);
        Assert.That(result.NewLength, Is.EqualTo(first), "cut to the tables");

        var tiny = _dir.File("tiny.ts");
        File.WriteAllBytes(tiny, whole[..100]);
        Assert.That(TornTailRepair.Repair(tiny).Outcome, Is.EqualTo(RepairOutcome.Unplayable));
    }

    [Test]
    public async Task TheStartupPassRepairsTransportStreamsToo()
    {
        var whole = File.ReadAllBytes(RecordingSamples.Clean("ts"));
        var dir = _dir.File("recordings");
        Directory.CreateDirectory(dir);
        var torn = Path.Combine(dir, "cam_2026-01-01_00-00-00.ts");
        File.WriteAllBytes(torn, whole[..(whole.Length / 2 + 50)]);
        File.SetLastWriteTimeUtc(torn, DateTime.UtcNow.AddMinutes(-5));

        var results = await new RecordingRecovery(NullLogger<RecordingRecovery>.Instance).RunAsync(dir, DateTime.UtcNow, _ => false);

        Assert.That(results.Select(r => (Path.GetFileName(r.Path), r.Outcome)), Is.EqualTo(new[] { ("cam_2026-01-01_00-00-00.ts", RepairOutcome.Trimmed) }));
        Assert.That(MediaProbe.Decode(torn).IsClean, Is.True);
    }

    private static int FirstFramePacket(byte[] bytes)
    {
        for (var i = 0; i + Packet <= bytes.Length; i += Packet)
            if (MpegTsTailScanner.StartsVideoFrame(bytes.AsSpan(i, Packet))) return i;
        return -1;
    }
}
