using Appliance.Cameras;
using Appliance.Cameras.Virtual;
using Appliance.Configuration;
using Appliance.Media;
using Appliance.Media.Inputs;
using Appliance.Media.Snapshots;
using Appliance.MediaMtx;
using Appliance.Tests.Cameras;

namespace Appliance.Tests.Media.Inputs;

/// <summary>The one reading of a camera's own picture, and its two users: the publisher and the snapshot taken straight from the device.</summary>
public class CameraInputTests
{
    private static readonly SnapshotSettings Jpeg = new("jpg", 85, 0, 0);

    // Every fourcc a V4L2 camera may be read in that FFmpeg names differently. The snapshot's own copy
    // of this map once lacked RGB3, BGR3 and GREY: such a camera was opened in FFmpeg's default format.
    [TestCase("MJPG", "mjpeg")]
    [TestCase("JPEG", "mjpeg")]
    [TestCase("H264", "h264")]
    [TestCase("YUYV", "yuyv422")]
    [TestCase("UYVY", "uyvy422")]
    [TestCase("NV12", "nv12")]
    [TestCase("YU12", "yuv420p")]
    [TestCase("RGB3", "rgb24")]
    [TestCase("BGR3", "bgr24")]
    [TestCase("GREY", "gray")]
    public void TheSnapshotAndThePublisherOpenAV4l2CameraInTheSameFormat(string fourcc, string ffmpegName)
    {
        var camera = FakeCameras.Make("/dev/video3", "id") with { InputFormat = fourcc, Resolution = new FrameSize(640, 480), Fps = 30 };
        var expected = $"-f v4l2 -input_format {ffmpegName} -video_size 640x480 -framerate 30 -i /dev/video3";
        Assert.That(string.Join(' ', SnapshotArguments.FromDevice(camera, Jpeg)), Does.Contain(expected));
        Assert.That(string.Join(' ', PublisherCommand.Arguments(camera, new ApplianceConfig(), "rtsp://pub:x@127.0.0.1:8554/camera3")), Does.Contain(expected));
    }

    [Test]
    public void AFourccFfmpegHasNoNameForIsLeftToFfmpeg()
    {
        var camera = FakeCameras.Make("/dev/video3", "id") with { InputFormat = "Y10B" };
        Assert.That(CameraInput.Arguments(camera, realTime: true), Is.EqualTo(new[] { "-f", "v4l2", "-video_size", "1920x1080", "-framerate", "30", "-i", "/dev/video3" }));
    }

    [Test]
    public void ATestPatternIsPacedForThePublisherAndDrawnAtOnceForASnapshot()
    {
        var config = new ApplianceConfig();
        config.Camera.Virtual.Add(new VirtualCameraConfig { Name = "Demo", Resolution = "320x240", Fps = 15, Pattern = "smptebars" });
        var camera = VirtualCameras.FromConfig(config, ffmpegAvailable: true).Single();
        Assert.That(CameraInput.Arguments(camera, realTime: true), Is.EqualTo(new[] { "-re", "-f", "lavfi", "-i", "smptebars=size=320x240:rate=15" }));
        Assert.That(CameraInput.Arguments(camera, realTime: false), Is.EqualTo(new[] { "-f", "lavfi", "-i", "smptebars=size=320x240:rate=15" }));
        Assert.That(string.Join(' ', SnapshotArguments.FromDevice(camera, Jpeg)), Does.Contain("-nostdin -f lavfi -i smptebars=size=320x240:rate=15 -an -frames:v 1"),
            "no frames skipped: a test pattern has no exposure to settle");
    }

    [Test]
    public void ASnapshotFromAV4l2CameraSkipsHalfASecondOfFrames()
    {
        var camera = FakeCameras.Make("/dev/video3", "id") with { Fps = 30 };
        Assert.That(string.Join(' ', SnapshotArguments.FromDevice(camera, Jpeg)), Does.Contain("-i /dev/video3 -an -frames:v 1 -vf select=gte(n\\,15)"));
    }
}
