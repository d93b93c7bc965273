using Appliance.Cameras;
using Appliance.Configuration;

namespace Appliance.Tests.Cameras;

public class CameraModesTests
{
    [Test]
    public void BestModeIsTheLargestSmoothSizePreferringCompressedFormats()
    {
        var modes = new List<VideoMode>
        {
            new("YUYV", new FrameSize(3840, 2160), [5]),
            new("YUYV", new FrameSize(1920, 1080), [5]),
            new("MJPG", new FrameSize(1920, 1080), [60, 30]),
            new("MJPG", new FrameSize(1280, 720), [30]),
        };
        Assert.That(CameraModes.Choose(modes, new CameraSection()), Is.EqualTo(("MJPG", new FrameSize(1920, 1080), 30)));
    }

    [Test]
    public void H264IsPreferredSoTheStreamCanBeCopied()
    {
        var modes = new List<VideoMode> { new("MJPG", new FrameSize(1280, 720), [30]), new("H264", new FrameSize(1280, 720), [30]) };
        Assert.That(CameraModes.Choose(modes, new CameraSection()).Format, Is.EqualTo("H264"));
    }

    [Test]
    public void ConfiguredResolutionAndFpsWinWhenOffered()
    {
        var config = new CameraSection { DefaultResolution = "640x480", DefaultFps = 15 };
        Assert.That(CameraModes.Choose(FakeCameras.Modes, config), Is.EqualTo(("YUYV", new FrameSize(640, 480), 30)), "15 fps is not offered at 640x480");
        config.DefaultResolution = "1280x720";
        config.DefaultFps = 60;
        Assert.That(CameraModes.Choose(FakeCameras.Modes, config), Is.EqualTo(("MJPG", new FrameSize(1280, 720), 60)));
        config.DefaultResolution = "800x600";   // not offered: fall back to the best
        Assert.That(CameraModes.Choose(FakeCameras.Modes, config).Size, Is.EqualTo(new FrameSize(1920, 1080)));
    }
}
