using System.Diagnostics;
using Appliance.Buffers;
using Appliance.Media.Ffmpeg;
using Appliance.Processes;
using Appliance.Tests.Processes;

namespace Appliance.Tests.Media;

/// <summary>A real FFmpeg still image: captured through stdout into pooled memory, written atomically.</summary>
public class SnapshotWriterTests : ProcessTestBase
{
    private static readonly string[] SnapshotArguments =
        ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", "-f", "image2pipe", "-vcodec", "mjpeg", "-"];

    [Test]
    public async Task SnapshotFromStdoutIsAValidJpegWrittenAtomically()
    {
        var runner = new FfmpegRunner(() => Settings(), new ProcessRunner());
        var path = Dir.File("snapshots/camera0/2024-01-01T00-00-00.jpg");

        using (var result = await runner.RunAsync(SnapshotArguments, Appliance.Media.Ffmpeg.FfmpegJob.Snapshot(Settings())))
        {
            var image = result.Stdout.Span;
            Assert.That(image.Length, Is.GreaterThan(1000));
            Assert.That(image[..2].ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD8 }), "JPEG start of image");
            Assert.That(image[^2..].ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xD9 }), "JPEG end of image");
            SnapshotWriter.Write(path, result.Stdout);
        }

        var written = await File.ReadAllBytesAsync(path);
        Assert.That(written[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }));
        Assert.That(written[^2..], Is.EqualTo(new byte[] { 0xFF, 0xD9 }));
        Assert.That(Probe(path), Is.EqualTo("320,240"));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName), Is.EqualTo(new[] { Path.GetFileName(path) }), "no temp file left");
    }

    [Test]
    public async Task CaptureAsyncReplacesAnExistingSnapshotInOneStep()
    {
        var runner = new FfmpegRunner(() => Settings(), new ProcessRunner());
        var path = Dir.Write("latest.jpg", "old content");

        var bytes = await SnapshotWriter.CaptureAsync(runner, SnapshotArguments, Appliance.Media.Ffmpeg.FfmpegJob.Snapshot(Settings()), path);

        Assert.That(new FileInfo(path).Length, Is.EqualTo(bytes));
        Assert.That(Probe(path), Is.EqualTo("320,240"));
        Assert.That(Directory.GetFiles(Dir.Path), Has.Length.EqualTo(1));
    }

    [Test]
    public void AnEmptyCaptureIsNotWrittenAsASnapshot()
    {
        var path = Dir.File("empty.jpg");
        using var empty = PooledBuffer.Empty();
        Assert.Throws<FfmpegException>(() => SnapshotWriter.Write(path, empty));
        Assert.That(File.Exists(path), Is.False);
    }

    private static string Probe(string path)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", path }) psi.ArgumentList.Add(a);
        using var probe = System.Diagnostics.Process.Start(psi)!;
        var output = probe.StandardOutput.ReadToEnd();
        probe.WaitForExit();
        Assert.That(probe.ExitCode, Is.Zero, probe.StandardError.ReadToEnd());
        return output.Trim();
    }
}
