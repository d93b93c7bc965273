using System.Diagnostics;
using Appliance.Cameras;
using Appliance.Cameras.Virtual;
using Appliance.Configuration;
using Appliance.Media;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Tests.Cameras;

namespace Appliance.Tests.MediaMtx;

public class PublisherCommandTests
{
    private static ApplianceConfig Config()
    {
        var c = new ApplianceConfig();
        c.Camera.Virtual.Add(new VirtualCameraConfig { Name = "Demo", Resolution = "320x240", Fps = 15, Pattern = "testsrc2" });
        return c;
    }

    private static readonly MediaCredential Publisher = new("pub", "s3cret");

    private static string PublishUrl(ApplianceConfig config, Camera camera) => InternalRtspUrl.For(config, camera.StreamPath, Publisher);

    [Test]
    public void V4l2CameraIsEncodedWithTheConfiguredSettingsAndPublishedToItsPath()
    {
        var config = Config();
        var camera = FakeCameras.Make("/dev/video2", "id");
        var args = PublisherCommand.Arguments(camera, config, PublishUrl(config, camera));
        Assert.That(string.Join(' ', args), Does.Contain("-f v4l2 -input_format mjpeg -video_size 1920x1080 -framerate 30 -i /dev/video2"));
        Assert.That(string.Join(' ', args), Does.Contain("-c:v libx264 -profile:v baseline -level:v 3.1 -preset ultrafast"));
        Assert.That(string.Join(' ', args), Does.Contain("-g 15 -keyint_min 15"), "half a second at 30 fps");
        Assert.That(args[^1], Is.EqualTo("rtsp://pub:s3cret@127.0.0.1:8554/camera2"));
    }

    [TestCase(0, 15, 8)]   // half a second at 15 fps (7.5 rounds up)
    [TestCase(0, 30, 15)]
    [TestCase(0, 1, 1)]    // never 0
    [TestCase(0, 0, 15)]   // a camera that does not say its rate: taken as 30 fps
    [TestCase(12, 15, 12)] // an explicit ffmpeg.gop wins
    public void TheKeyframeIntervalIsHalfASecondOfFramesUnlessSet(int gop, int fps, int frames)
    {
        Assert.That(PublisherCommand.KeyframeInterval(gop, fps), Is.EqualTo(frames));
        var config = Config();
        config.Ffmpeg.Gop = gop;
        var camera = FakeCameras.Make("/dev/video2", "id") with { Fps = fps };
        Assert.That(string.Join(' ', PublisherCommand.Arguments(camera, config, PublishUrl(config, camera))), Does.Contain($"-g {frames} -keyint_min {frames} "));
    }

    [Test]
    public void H264CameraIsCopiedNotReEncoded()
    {
        var camera = FakeCameras.Make("/dev/video0", "id") with { InputFormat = "H264" };
        var config = Config();
        var line = string.Join(' ', PublisherCommand.Arguments(camera, config, PublishUrl(config, camera)));
        Assert.That(line, Does.Contain("-input_format h264"));
        Assert.That(line, Does.Contain("-c:v copy"));
        Assert.That(line, Does.Not.Contain("libx264"));
    }

    [TestCase("plain")]
    [TestCase("with space")]
    [TestCase("it's")]
    [TestCase("$HOME;rm -rf /")]
    [TestCase("testsrc2=size=320x240:rate=15")]
    [TestCase("")]
    public void QuotedCommandLineSplitsBackIntoTheSameArguments(string tricky)
    {
        // A POSIX shell is the reference splitter; MediaMTX's shell-style splitter follows the same rules.
        string[] args = ["ffmpeg", "-i", tricky, "-metadata", "title=a \"b\" c"];
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("for a in " + PublisherCommand.Join(args) + "; do printf '%s\\n' \"[$a]\"; done");
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(args.Select(a => $"[{a}]").ToArray()));
    }

    [Test]
    public void VirtualCameraCommandIsAValidFfmpegInvocation()
    {
        // Run the real publisher arguments with the RTSP output swapped for a null sink, for one second.
        var config = Config();
        var camera = VirtualCameras.FromConfig(config, ffmpegAvailable: true).Single();
        var args = PublisherCommand.Arguments(camera, config, PublishUrl(config, camera));
        var outputAt = args.IndexOf("-f", args.LastIndexOf("-an"));
        var runnable = args.Take(outputAt).Concat(["-t", "1", "-f", "null", "-"]).ToList();
        var psi = new ProcessStartInfo(runnable[0]) { RedirectStandardError = true };
        foreach (var a in runnable.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(30_000), Is.True);
        Assert.That(p.ExitCode, Is.EqualTo(0), stderr.Result);
    }
}
