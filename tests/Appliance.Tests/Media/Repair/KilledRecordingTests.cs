using System.Diagnostics;
using Appliance.Media.Recordings.Repair;
using Appliance.Tests.Support;

namespace Appliance.Tests.Media.Repair;

/// <summary>
/// The real thing: ffmpeg records in real time and is SIGKILLed mid-way. With the recording's own
/// muxer options (flush_packets) the kill leaves whole fragments and the repair has nothing to do;
/// without them (FFmpeg's 256 KiB blocks, the kind of tear a power cut can leave) the repair must
/// leave a file the real ffprobe decodes without an error.
/// The two formats record at the same time: the tests mostly wait for the real-time input.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public class KilledRecordingTests
{
    // Observed with FFmpeg 5.1: the output reaches the disk 256 KiB at a time, so the file must
    // hold two of those writes (and with them a few complete 0.5 s fragments) before the kill.
    private const long KillAfterBytes = 2 * 256 * 1024;

    [TestCase("mp4")]
    [TestCase("mkv")]
    public async Task WithTheRecordingsOwnOptionsAKillLeavesOnlyWholeFragments(string format)
    {
        using var dir = new TestDirectory();
        var (file, _) = await RecordAndKillAsync(format, dir.Path, buffered: false);
        var before = await File.ReadAllBytesAsync(file);
        var decoded = Ffprobe.CountFrames(file);
        Assert.That(decoded.Errors, Is.Empty, "flush_packets: the kill left no torn fragment");
        Assert.That(decoded.Frames, Is.GreaterThan(15));
        var result = TornTailRepair.Repair(file);
        Assert.That(result.Changed, Is.False, result.Reason);
        Assert.That((await File.ReadAllBytesAsync(file)).AsSpan().SequenceEqual(before), Is.True, "nothing to cut");
    }

    private static async Task<(string File, string Stderr)> RecordAndKillAsync(string format, string directory, bool buffered)
    {
        // 640x480 at 30 fps, a keyframe (so a fragment) every 0.5 s, ultrafast: ~0.5 MB/s.
        var psi = new ProcessStartInfo("ffmpeg") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in RecordingSamples.RecordArguments(format, directory, 60, realTime: true, size: "640x480", rate: 30, gop: 15, buffered: buffered)) psi.ArgumentList.Add(a);
        string? file = null;
        using (var ffmpeg = Process.Start(psi)!)
        {
            var stderr = ffmpeg.StandardError.ReadToEndAsync();
            try
            {
                var waited = Stopwatch.StartNew();
                while (waited.Elapsed < TimeSpan.FromSeconds(30) && !ffmpeg.HasExited)
                {
                    file = Directory.GetFiles(directory, "*." + format).SingleOrDefault();
                    if (file is not null && new FileInfo(file).Length >= KillAfterBytes) break;
                    await Task.Delay(25);
                }
            }
            finally
            {
                ffmpeg.Kill(); // SIGKILL: no trailer, no flush of what is still buffered
                await ffmpeg.WaitForExitAsync();
            }
            Assert.That(file, Is.Not.Null, "no recording appeared: " + await stderr);
            Assert.That(new FileInfo(file!).Length, Is.GreaterThanOrEqualTo(KillAfterBytes), "killed too early: " + await stderr);
            return (file!, await stderr);
        }
    }

    [TestCase("mp4")]
    [TestCase("mkv")]
    public async Task ABufferedRecordingKilledMidWayIsCutBackToItsLastCompleteFragment(string format)
    {
        using var dir = new TestDirectory();
        var (file, _) = await RecordAndKillAsync(format, dir.Path, buffered: true);

        var killed = await File.ReadAllBytesAsync(file!);
        var torn = FragmentMap.Of(file!);
        Assert.That(Ffprobe.CountFrames(file!).Errors, Is.Not.Empty, "the kill left a torn last fragment");

        var result = TornTailRepair.Repair(file!);

        var after = Ffprobe.CountFrames(file!);
        var kept = Ffprobe.Packets(file!);
        var keptEnd = kept.Max(p => p.Position + p.Size + torn.BlockHeader);
        var repaired = await File.ReadAllBytesAsync(file!);
        Assert.Multiple(() =>
        {
            Assert.That(result.Outcome, Is.EqualTo(RepairOutcome.Trimmed), result.Reason);
            Assert.That(result.OldLength, Is.EqualTo(killed.Length));
            Assert.That(result.NewLength, Is.LessThan(killed.Length));
            Assert.That(after.Errors, Is.Empty, "ffprobe after the repair");
            Assert.That(after.Frames, Is.GreaterThan(15), "more than one fragment kept");
            Assert.That(after.Frames, Is.EqualTo(kept.Count));
            // A cut right after the last kept frame, and at a fragment boundary: what follows it in the killed file is a keyframe.
            Assert.That(keptEnd, Is.EqualTo(result.NewLength), "the file ends where its last frame does");
            if (torn.Packets.FirstOrDefault(p => p.Position >= result.NewLength) is { } next)
                Assert.That(next.Key, Is.True, "the cut is at a fragment boundary");
            // ffmpeg killed before its trailer leaves an unknown Segment size: the repair only cut, wrote nothing.
            Assert.That(repaired.AsSpan().SequenceEqual(killed.AsSpan(0, repaired.Length)), Is.True, "the repaired file is the start of the killed one");
        });
        TestContext.Out.WriteLine($"{format}: killed at {killed.Length} bytes, kept {result.NewLength} ({after.Frames} frames): {result.Reason}");
    }
}
