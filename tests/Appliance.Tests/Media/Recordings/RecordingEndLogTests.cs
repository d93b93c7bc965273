using Appliance.Media.Recordings;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Media.Recordings;

/// <summary>Why each file ended, kept across restarts and bounded.</summary>
public class RecordingEndLogTests
{
    private static RecordingEnd End(string file, string reason, int minute) =>
        new(file, "session-" + file, reason, reason == "recorder_stalled" ? "no progress" : null, new DateTimeOffset(2026, 12, 7, 10, minute, 0, TimeSpan.Zero));

    [Test]
    public void ReasonsSurviveARestartAndDeletedFilesAreForgotten()
    {
        using var dir = new TestDirectory();
        var recordings = dir.File("recordings");
        Directory.CreateDirectory(recordings);
        File.WriteAllText(Path.Combine(recordings, "a.mp4"), "a");
        File.WriteAllText(Path.Combine(recordings, "b.mp4"), "b");
        var log = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        log.Record(End("a.mp4", "recorder_stalled", 1));
        log.Record(End("b.mp4", "stopped_by_client", 2));

        var reopened = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        Assert.That(reopened.Find("a.mp4")?.Reason, Is.EqualTo("recorder_stalled"));
        Assert.That(reopened.Find("a.mp4")?.Error, Is.EqualTo("no progress"));
        Assert.That(reopened.Find("b.mp4")?.SessionId, Is.EqualTo("session-b.mp4"));
        Assert.That(reopened.Find("c.mp4"), Is.Null);

        File.Delete(Path.Combine(recordings, "a.mp4"));
        File.WriteAllText(Path.Combine(recordings, "c.mp4"), "c");
        reopened.Record(End("c.mp4", "disk_full", 3));
        var third = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        Assert.That(third.Find("a.mp4"), Is.Null, "a deleted file's entry is dropped");
        Assert.That(third.Find("c.mp4")?.Reason, Is.EqualTo("disk_full"));
    }

    [Test]
    public void EachFilesOptionsAreKeptFromWhenItAppearsThroughItsEndAndAcrossARestart()
    {
        using var dir = new TestDirectory();
        var recordings = dir.File("recordings");
        Directory.CreateDirectory(recordings);
        File.WriteAllText(Path.Combine(recordings, "a.ts"), "a");
        File.WriteAllText(Path.Combine(recordings, "b.ts"), "b");
        var log = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        var options = new RequestedOptions("h265", "2M", "ts");
        var at = new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
        log.NoteFile("a.ts", "s1", options, at);
        log.NoteFile("b.ts", "s1", options, at.AddSeconds(2));
        log.NoteFile("b.ts", "other", new RequestedOptions("copy", null, "mp4"), at.AddSeconds(3));
        Assert.That(log.Find("a.ts"), Is.EqualTo(new RecordingEnd("a.ts", "s1", null, null, at, options)), "known at once, not ended");
        // The end of the last segment keeps the options it was noted with.
        log.Record(new RecordingEnd("b.ts", "s1", "stopped_by_client", null, at.AddSeconds(4)));
        Assert.That(log.Find("b.ts")?.Options, Is.EqualTo(options), "a file is noted once");

        // The background save of the notes and the synchronous one of the end both land; the newest state wins.
        RecordingEndLog reopened = null!;
        Assert.That(() =>
        {
            reopened = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
            return reopened.Find("a.ts")?.Options;
        }, Is.EqualTo(options).After(5000, 50));
        Assert.That(reopened.Find("b.ts"), Is.EqualTo(new RecordingEnd("b.ts", "s1", "stopped_by_client", null, at.AddSeconds(4), options)));
    }

    [Test]
    public void TheLogKeepsOnlyTheNewestEntries()
    {
        using var dir = new TestDirectory();
        var recordings = dir.File("recordings");
        Directory.CreateDirectory(recordings);
        var log = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        var total = RecordingEndLog.Capacity + 10;
        for (var i = 0; i < total; i++)
        {
            var name = $"f{i:D5}.mp4";
            File.WriteAllText(Path.Combine(recordings, name), "x");
            log.Record(new RecordingEnd(name, "s", "stopped_by_client", null, DateTimeOffset.UnixEpoch.AddMinutes(i)));
        }
        var reopened = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        Assert.That(reopened.Find("f00000.mp4"), Is.Null, "the oldest went");
        Assert.That(reopened.Find("f00009.mp4"), Is.Null);
        Assert.That(reopened.Find("f00010.mp4"), Is.Not.Null);
        Assert.That(reopened.Find($"f{total - 1:D5}.mp4"), Is.Not.Null);
    }

    [Test]
    public void ACorruptLogStartsAfreshAndIsReplacedWhole()
    {
        using var dir = new TestDirectory();
        var recordings = dir.File("recordings");
        Directory.CreateDirectory(recordings);
        File.WriteAllText(Path.Combine(recordings, "a.mp4"), "a");
        Directory.CreateDirectory(dir.File("state"));
        File.WriteAllText(dir.File("state/recording-ends.json"), "[{\"file\": \"a.mp4\", tor");
        var log = new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance);
        Assert.That(log.Find("a.mp4"), Is.Null);
        log.Record(End("a.mp4", "camera_lost", 1));
        Assert.That(new RecordingEndLog(dir.File("state"), recordings, NullLogger.Instance).Find("a.mp4")?.Reason, Is.EqualTo("camera_lost"));
    }
}
