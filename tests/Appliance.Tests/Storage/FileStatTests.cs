using System.Globalization;
using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>The statx and statvfs interop against stat(1) and df(1): a wrong struct offset shows up here.</summary>
public class FileStatTests
{
    private TestDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TestDirectory();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [Test]
    public void RegularFileFiguresMatchStat()
    {
        var path = StorageSamples.Bytes(_dir.Path, "f.mp4", 123_457, TimeSpan.FromDays(3));
        var stat = FileStat.Of(path);
        // %s size, %Y mtime (s), %i inode, %b blocks (of %B bytes), %W birth (s, 0 if unknown), %f raw mode (hex)
        var fields = StorageSamples.Run("stat", "-c", "%s %Y %i %b %B %W %f", path).Trim().Split(' ');
        Assert.Multiple(() =>
        {
            Assert.That(stat.Type, Is.EqualTo(FileType.Regular));
            Assert.That(stat.Size, Is.EqualTo(long.Parse(fields[0], CultureInfo.InvariantCulture)));
            Assert.That(stat.Modified.ToUnixTimeSeconds(), Is.EqualTo(long.Parse(fields[1], CultureInfo.InvariantCulture)));
            Assert.That(stat.Inode, Is.EqualTo(ulong.Parse(fields[2], CultureInfo.InvariantCulture)));
            Assert.That(stat.AllocatedBytes, Is.EqualTo(long.Parse(fields[3], CultureInfo.InvariantCulture) * long.Parse(fields[4], CultureInfo.InvariantCulture)));
            var birth = long.Parse(fields[5], CultureInfo.InvariantCulture);
            if (birth != 0) Assert.That(stat.Created.ToUnixTimeSeconds(), Is.EqualTo(birth));
            Assert.That(stat.Modified, Is.EqualTo(new DateTimeOffset(File.GetLastWriteTimeUtc(path))).Within(TimeSpan.FromMilliseconds(1)));
        });
    }

    [Test]
    public void SymlinksAreReportedNotFollowed()
    {
        var target = StorageSamples.Bytes(_dir.Path, "target.mp4", 10);
        var link = _dir.File("link.mp4");
        File.CreateSymbolicLink(link, target);
        var dangling = _dir.File("dangling.mp4");
        File.CreateSymbolicLink(dangling, "/nonexistent/x.mp4");
        Assert.Multiple(() =>
        {
            Assert.That(FileStat.Of(link).Type, Is.EqualTo(FileType.Symlink));
            Assert.That(FileStat.Of(dangling).Type, Is.EqualTo(FileType.Symlink));
            Assert.That(FileStat.Of(_dir.Path).Type, Is.EqualTo(FileType.Directory));
            Assert.That(FileStat.Of(_dir.File("missing.mp4")).Type, Is.EqualTo(FileType.Missing));
            Assert.That(FileStat.Of(_dir.File("missing/below.mp4")).Type, Is.EqualTo(FileType.Missing));
        });
    }

    [Test]
    public void AFifoIsNeitherRegularNorMissing()
    {
        var fifo = _dir.File("pipe.mp4");
        StorageSamples.Run("mkfifo", fifo);
        Assert.That(FileStat.Of(fifo).Type, Is.EqualTo(FileType.Other));
    }

    [Test]
    public void DiskSpaceMatchesDf()
    {
        using var tmpfs = new Tmpfs(_dir.File("fs"), 4096);
        StorageSamples.Bytes(tmpfs.Path, "fill.bin", 1_000_000);
        var usage = DiskSpace.Of(tmpfs.Path);
        var df = StorageSamples.Run("df", "-B1", "--output=size,used,avail,pcent", tmpfs.Path).Split('\n')[1]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(usage.Total, Is.EqualTo(4096L * 1024));
            Assert.That(usage.Total, Is.EqualTo(long.Parse(df[0], CultureInfo.InvariantCulture)));
            Assert.That(usage.Used, Is.EqualTo(long.Parse(df[1], CultureInfo.InvariantCulture)));
            Assert.That(usage.Available, Is.EqualTo(long.Parse(df[2], CultureInfo.InvariantCulture)));
            // df rounds its percentage up to a whole number.
            Assert.That(Math.Ceiling(usage.UsagePercent), Is.EqualTo(double.Parse(df[3].TrimEnd('%'), CultureInfo.InvariantCulture)));
        });
    }

    [Test]
    public void DiskSpaceOfADirectoryNotYetCreatedIsItsParentFileSystem()
    {
        using var tmpfs = new Tmpfs(_dir.File("fs"), 2048);
        Assert.That(DiskSpace.Of(Path.Combine(tmpfs.Path, "not", "yet")).Total, Is.EqualTo(2048L * 1024));
    }
}
