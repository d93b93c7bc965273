using Appliance.Cameras;
using Appliance.Configuration;
using NSubstitute;

namespace Appliance.Tests.Cameras;

/// <summary>
/// Stand-in for the kernel where there is no /dev/video* (the real ioctl path is proven on vivid
/// in the VM tests): a substituted probe that answers like V4l2CameraProbe would for plain files
/// named videoN in a temp "dev" directory.
/// </summary>
public static class FakeCameras
{
    public static readonly IReadOnlyList<VideoMode> Modes =
    [
        new("MJPG", new FrameSize(1920, 1080), [30, 15]),
        new("MJPG", new FrameSize(1280, 720), [60, 30]),
        new("YUYV", new FrameSize(640, 480), [30]),
    ];

    public static Camera Make(string device, string identity, CameraStatus status = CameraStatus.Connected, string name = "USB Camera") =>
        new(CameraId.ForNode(device), name, status, identity, new FrameSize(1920, 1080), 30, "MJPG",
            [new VideoFormat("MJPG", "Motion-JPEG", true), new VideoFormat("YUYV", "YUYV 4:2:2", false)], Modes,
            status == CameraStatus.Error ? "error" : "confirmed", status == CameraStatus.Error ? "permission denied" : null, DateTimeOffset.UtcNow,
            "uvcvideo", "usb-0000:01:00.0-1." + identity);

    /// <summary>A probe that reports every node as a camera whose identity is the file's content
    /// (so a test can "plug the same camera" into another node), and treats content "meta" as a
    /// UVC metadata node and "denied" as a node without permission.</summary>
    public static ICameraProbe Probe(Action<string>? onProbe = null)
    {
        var probe = Substitute.For<ICameraProbe>();
        probe.Probe(Arg.Any<string>(), Arg.Any<CameraSection>(), Arg.Any<string?>()).Returns(call =>
        {
            var device = call.ArgAt<string>(0);
            onProbe?.Invoke(device);
            if (!File.Exists(device)) return null;
            var content = File.ReadAllText(device).Trim();
            return content switch
            {
                "meta" => null,
                "denied" => Make(device, device, CameraStatus.Error),
                _ => Make(device, content.Length > 0 ? content : device),
            };
        });
        return probe;
    }
}
