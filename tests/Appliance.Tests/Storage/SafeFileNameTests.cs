using Appliance.Storage;

namespace Appliance.Tests.Storage;

/// <summary>The string checks every client-given file name passes before the file system is touched.</summary>
public class SafeFileNameTests
{
    [TestCase("camera0_2026-11-25_10-00-00.mp4")]
    [TestCase("clip.MKV")]
    [TestCase("a b (1).mp4")]
    [TestCase("café.mp4")]
    [TestCase("-starts-with-dash.mp4")]
    [TestCase("x%2e.mp4")]
    public void RecordingNamesThatAreBareAndAllowed(string name) =>
        Assert.That(SafeFileName.Problem(name, MediaKind.Recording), Is.Null);

    [TestCase("camera0_snapshot_2026-11-25_10-00-00.jpg")]
    [TestCase("x.jpeg")]
    [TestCase("x.PNG")]
    public void SnapshotNamesThatAreBareAndAllowed(string name) =>
        Assert.That(SafeFileName.Problem(name, MediaKind.Snapshot), Is.Null);

    [TestCase(null, "required")]
    [TestCase("", "required")]
    [TestCase("../x.mp4", "bare file name")]
    [TestCase("/etc/passwd", "absolute path")]
    [TestCase("a/b.mp4", "bare file name")]
    [TestCase("..\\x.mp4", "bare file name")]
    [TestCase("a\\b.mp4", "bare file name")]
    [TestCase("..", "..")]
    [TestCase("x..mp4", "'..'")]
    [TestCase("a\0.mp4", "NUL")]
    [TestCase("a\n.mp4", "control character")]
    [TestCase("a\u0085.mp4", "control character")]
    [TestCase(".hidden.mp4", "start with '.'")]
    [TestCase("x.mp4.tmp", "must end in .mp4 or .mkv or .ts")]
    [TestCase("x.jpg", "must end in .mp4 or .mkv or .ts")]
    [TestCase("x", "must end in")]
    public void RefusedRecordingNames(string? name, string why)
    {
        var problem = SafeFileName.Problem(name, MediaKind.Recording);
        Assert.That(problem, Does.Contain(why));
        Assert.That(problem, Does.Contain("'filename'"));
    }

    [Test]
    public void ALoneSurrogateIsRefused()
    {
        // Built at run time: an attribute argument cannot carry a lone surrogate (it becomes U+FFFD).
        var name = new string([(char)0xD800]) + ".mp4";
        Assert.That(SafeFileName.Problem(name, MediaKind.Recording), Is.EqualTo("'filename' is not valid Unicode"));
    }

    [Test]
    public void SnapshotsAcceptOnlyImageExtensions() =>
        Assert.That(SafeFileName.Problem("x.mp4", MediaKind.Snapshot), Is.EqualTo("'filename' must end in .jpg or .jpeg or .png"));

    [Test]
    public void TheLimitIs255BytesOfUtf8NotCharacters()
    {
        Assert.That(SafeFileName.Problem(new string('a', 251) + ".mp4", MediaKind.Recording), Is.Null, "255 bytes");
        Assert.That(SafeFileName.Problem(new string('a', 252) + ".mp4", MediaKind.Recording), Does.Contain("255 bytes"));
        // 126 × 'é' is 252 bytes but only 126 characters.
        Assert.That(SafeFileName.Problem(new string('é', 126) + ".mp4", MediaKind.Recording), Does.Contain("255 bytes"));
    }
}
