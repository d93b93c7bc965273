using Appliance.Cameras;
using Appliance.Media;

namespace Appliance.Tests.Cameras;

public class CameraIdTests
{
    [TestCase("/dev/video0", 0, "camera0")]
    [TestCase("/dev/video12", 12, "camera12")]
    [TestCase("/tmp/t/dev/video3", 3, "camera3")] // discovery's directory is kept (tests scan a temporary dev directory)
    public void ANodeIsTheCameraOfItsNumber(string node, int number, string path)
    {
        var id = CameraId.ForNode(node);
        Assert.That((id.Source, id.Number, id.Device, id.StreamPath, id.FilePrefix), Is.EqualTo((CameraSource.V4l2, number, node, path, path + "_")));
    }

    [Test]
    public void DiscoveryLooksForVideoNInItsDirectory()
    {
        Assert.That(CameraId.Node("/dev", 4), Is.EqualTo(CameraId.ForNode("/dev/video4")));
        Assert.That(CameraId.Node("/tmp/t/dev", 0).Device, Is.EqualTo("/tmp/t/dev/video0"));
    }

    [TestCase("/dev/video")]
    [TestCase("/dev/videoX")]
    [TestCase("/dev/video-1")]
    [TestCase("/dev/sda")]
    public void ANodeThatIsNotVideoNIsRefused(string node) =>
        Assert.Throws<ArgumentException>(() => CameraId.ForNode(node));

    [Test]
    public void AVirtualCameraIsVirtualNEverywhere()
    {
        var id = CameraId.Virtual(2);
        Assert.That((id.Source, id.Number, id.Device, id.StreamPath, id.FilePrefix), Is.EqualTo((CameraSource.Virtual, 2, "virtual2", "virtual2", "virtual2_")));
    }

    [TestCase("/dev/video4", "/dev/video4", "camera4")]
    [TestCase("camera4", "/dev/video4", "camera4")]
    [TestCase("virtual1", "virtual1", "virtual1")]
    [TestCase("/dev/video01", "/dev/video01", "camera1")] // as given, as the API has always echoed it
    public void WhatAClientMaySendIsParsed(string given, string device, string path)
    {
        Assert.That(CameraId.TryParse(given, out var id), Is.True);
        Assert.That((id.Device, id.StreamPath), Is.EqualTo((device, path)));
    }

    [TestCase("")]
    [TestCase("/dev/video")]
    [TestCase("camera")]
    [TestCase("camera-1")]
    [TestCase("camera+1")]
    [TestCase("camera 1")]
    [TestCase("virtual")]
    [TestCase("virtualX")]
    [TestCase("video0")]
    [TestCase("../x")]
    [TestCase("/dev/../etc/passwd")]
    [TestCase("/tmp/video0")]
    [TestCase("camera99999999999")] // beyond any node number
    public void AnythingElseIsNotACamera(string given) =>
        Assert.That(CameraId.TryParse(given, out _), Is.False);

    [TestCase("camera0", true)]
    [TestCase("camera17", true)]
    [TestCase("virtual3", true)]
    [TestCase("/dev/video0", false)] // a device, not a path name
    [TestCase("camera", false)]
    [TestCase("cam0", false)]
    [TestCase("other", false)]
    public void StreamPathsOfCamerasAreRecognised(string name, bool ours) =>
        Assert.That(CameraId.TryParseStreamPath(name, out _), Is.EqualTo(ours));

    [Test]
    public void NamesRoundTrip()
    {
        foreach (var id in new[] { CameraId.ForNode("/dev/video7"), CameraId.Virtual(5) })
        {
            Assert.That(CameraId.TryParse(id.Device, out var fromDevice) && fromDevice == id, Is.True, id.Device);
            Assert.That(CameraId.TryParseStreamPath(id.StreamPath, out var fromPath) && fromPath == id, Is.True, id.StreamPath);
            Assert.That(CameraId.TryParse(id.StreamPath, out var fromLogical) && fromLogical == id, Is.True, id.StreamPath);
        }
    }

    [TestCase("camera1_2026-11-25_10-00-00.mp4", true)]
    [TestCase("camera1_2026-11-25_10-05-00.mkv", true)]
    [TestCase("camera1_snapshot_2026-11-25_10-00-00.jpg", false)]
    [TestCase("camera10_2026-11-25_10-00-00.mp4", false)] // another camera
    [TestCase("camera1_", false)]
    [TestCase("virtual1_2026-11-25_10-00-00.mp4", false)]
    public void RecordingSegmentsOfACameraAreItsPrefixThenATimestamp(string name, bool ours) =>
        Assert.That(MediaFileNames.IsRecordingSegment(CameraId.ForNode("/dev/video1"), name), Is.EqualTo(ours));

    [Test]
    public void SnapshotsAreNamedWithTheCamerasPrefix()
    {
        var t = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
        Assert.That(MediaFileNames.Snapshot(CameraId.ForNode("/dev/video0"), t, "jpg"), Is.EqualTo("camera0_snapshot_2026-11-25_10-00-00.jpg"));
        Assert.That(MediaFileNames.Snapshot(CameraId.Virtual(0), t, "png"), Is.EqualTo("virtual0_snapshot_2026-11-25_10-00-00.png"));
    }
}
