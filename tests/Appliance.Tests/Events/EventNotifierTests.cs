using System.Net;
using System.Text;
using System.Text.Json;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Rpc;
using Appliance.Rpc.Notifications;
using Appliance.Security;
using Appliance.Tests.Cameras;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Events;

/// <summary>
/// Routing inside the notifier, with real connections (their real bounded queues, read here instead
/// of by a socket): who gets what, in which form, and that one event is serialized once for all the
/// clients that get the same bytes.
/// </summary>
public class EventNotifierTests
{
    private readonly ConnectionRegistry _connections = new(new RpcMetrics());
    private readonly List<RpcConnection> _made = [];
    private EventNotifier _notifier = null!;

    [SetUp]
    public void Setup() => _notifier = new EventNotifier(_connections, new ConfigStore(new ApplianceConfig(), null, NullLogger.Instance));

    [TearDown]
    public void TearDown()
    {
        foreach (var c in _made) c.Dispose();
    }

    private RpcConnection Client(string host = "10.0.0.5", EventSubscription? subscription = null, bool authenticated = true, int queue = 16)
    {
        var c = new RpcConnection(IPAddress.Loopback, host, 16, queue, new RequestBucket(100, perMinute: 600));
        if (authenticated) c.Bind(AuthResult.Success(Role.Viewer, "t", null, "jwt"));
        c.Subscription = subscription;
        _connections.Add(c);
        _made.Add(c);
        return c;
    }

    private static List<byte[]> Received(RpcConnection c)
    {
        var frames = new List<byte[]>();
        while (c.TryTakeNext(out var f)) frames.Add(f.Buffer[..f.Length]);
        return frames;
    }

    private static JsonElement Parse(byte[] frame) => JsonDocument.Parse(frame).RootElement;

    private static CameraChange Connected(string device = "/dev/video0") => new(null, FakeCameras.Make(device, device));

    [Test]
    public void ANeverSubscribedClientGetsTheV1CameraNotificationWithoutAnEventField()
    {
        var v1 = Client();
        _notifier.Deliver(Connected());
        var frame = Parse(Received(v1).Single());
        Assert.That(frame.GetProperty("method").GetString(), Is.EqualTo("camera_status_update"));
        Assert.That(frame.TryGetProperty("id", out _), Is.False, "a notification has no id member");
        Assert.That(frame.GetProperty("params").EnumerateObject().Select(p => p.Name),
            Is.EqualTo(new[] { "device", "status", "name", "resolution", "fps", "streams", "device_path" }));
        Assert.That(frame.GetProperty("params").GetProperty("streams").GetProperty("rtsp").GetString(), Is.EqualTo("rtsp://10.0.0.5:8554/camera0"));
    }

    [Test]
    public void ARecordingFailureSaysWhyOnlyToSubscribedClientsAndV1ClientsKeepTheExactV1Fields()
    {
        var v1 = Client();
        var subscribed = Client(subscription: new EventSubscription(EventTopic.RecordingError | EventTopic.RecordingStart, null));
        var session = new Appliance.Media.Recordings.RecordingSession(FakeCameras.Make("/dev/video0", "id0"), "mp4", null, Path.GetTempPath(), DateTimeOffset.UtcNow);
        _notifier.Deliver(new Appliance.Media.Recordings.RecordingEvent(session, "FAILED", "FFmpeg made no progress for 10 s and was killed",
            Appliance.Media.Recordings.RecordingEndReason.RecorderStalled, Restarting: true));
        _notifier.Deliver(new Appliance.Media.Recordings.RecordingEvent(session, "STARTED", null, Resumed: true));

        var old = Received(v1).Select(Parse).ToList();
        Assert.That(old.Select(f => f.GetProperty("params").GetProperty("status").GetString()), Is.EqualTo(new[] { "FAILED", "STARTED" }));
        foreach (var f in old)
            Assert.That(f.GetProperty("params").EnumerateObject().Select(p => p.Name),
                Is.EqualTo(new[] { "device", "status", "filename", "duration", "device_path", "recording_id", "start_time" }));
        var got = Received(subscribed).Select(Parse).Select(f => f.GetProperty("params")).ToList();
        Assert.That(got[0].GetProperty("reason").GetString(), Is.EqualTo("recorder_stalled"));
        Assert.That(got[0].GetProperty("error").GetString(), Does.Contain("no progress"));
        Assert.That(got[0].GetProperty("restarting").GetBoolean(), Is.True);
        Assert.That(got[0].GetProperty("event").GetString(), Is.EqualTo("recording.error"));
        Assert.That(got[1].GetProperty("resumed").GetBoolean(), Is.True);
        Assert.That(got[1].TryGetProperty("reason", out _), Is.False, "a start has no reason");
        Assert.That(got[1].GetProperty("recording_id").GetString(), Is.EqualTo(got[0].GetProperty("recording_id").GetString()), "the same recording goes on");
    }

    [Test]
    public void SubscribedClientsGetTheRecordingsOptionsAsSentAndV1ClientsDoNot()
    {
        var v1 = Client();
        var subscribed = Client(subscription: new EventSubscription(EventTopic.RecordingStart | EventTopic.RecordingStop, null));
        var options = new Appliance.Media.Recordings.RecordingOptions(new Appliance.Media.Recordings.RequestedOptions("h264", "crf:20", "fmp4"),
            Appliance.Media.Encoders.ContainerFormat.Mp4, new Appliance.Media.Encoders.VideoEncoder("h264", "libx264", false));
        var session = new Appliance.Media.Recordings.RecordingSession(FakeCameras.Make("/dev/video0", "id0"), options, null, Path.GetTempPath(), DateTimeOffset.UtcNow);
        var copy = new Appliance.Media.Recordings.RecordingSession(FakeCameras.Make("/dev/video1", "id1"), "mkv", null, Path.GetTempPath(), DateTimeOffset.UtcNow);
        _notifier.Deliver(new Appliance.Media.Recordings.RecordingEvent(session, "STARTED", null));
        _notifier.Deliver(new Appliance.Media.Recordings.RecordingEvent(copy, "STOPPED", null, Appliance.Media.Recordings.RecordingEndReason.StoppedByClient));

        foreach (var f in Received(v1).Select(Parse))
            Assert.That(f.GetProperty("params").EnumerateObject().Select(p => p.Name),
                Is.EqualTo(new[] { "device", "status", "filename", "duration", "device_path", "recording_id", "start_time" }));
        var got = Received(subscribed).Select(Parse).Select(f => f.GetProperty("params")).ToList();
        Assert.That(got, Has.Count.EqualTo(2));
        Assert.That(got[0].GetProperty("options").ToString(), Is.EqualTo("""{"codec":"h264","quality":"crf:20","format":"fmp4"}"""));
        Assert.That(got[1].GetProperty("options").ToString(), Is.EqualTo("""{"codec":"copy","format":"mkv"}"""), "no quality with a copy");
        Assert.That(got[1].GetProperty("event").GetString(), Is.EqualTo("recording.stop"));
    }

    [Test]
    public void ANeverSubscribedClientGetsNothingBeyondV1()
    {
        var v1 = Client();
        _notifier.Deliver(new StreamStatusChanged("/dev/video0", "camera0", true, 1));
        _notifier.Deliver(new HealthChanged("healthy", [], "all components running", new ComponentHealth("x", ComponentState.Running, "", DateTimeOffset.UtcNow)));
        _notifier.Deliver(new ServiceLifecycleEvent(false, "1.0", TimeSpan.FromSeconds(3)));
        Assert.That(Received(v1), Is.Empty);
    }

    [Test]
    public void SubscribedClientsGetOnlyTheirTopicsWithTheEventField()
    {
        var cams = Client(subscription: new EventSubscription(EventTopic.CameraConnected, null));
        var streams = Client(subscription: new EventSubscription(EventTopic.StreamStatus, null));
        _notifier.Deliver(Connected());
        _notifier.Deliver(new StreamStatusChanged("/dev/video0", "camera0", true, 2));
        var camFrame = Parse(Received(cams).Single());
        Assert.That(camFrame.GetProperty("params").GetProperty("event").GetString(), Is.EqualTo("camera.connected"));
        var streamFrame = Parse(Received(streams).Single());
        Assert.That(streamFrame.GetProperty("method").GetString(), Is.EqualTo("stream_status_update"));
        Assert.That(streamFrame.GetProperty("params").ToString(),
            Is.EqualTo("""{"device":"/dev/video0","path":"camera0","ready":true,"readers":2,"event":"stream.status"}"""));
    }

    [Test]
    public void ADeviceFilterPassesThatCameraAndServiceWideEventsOnly()
    {
        var one = Client(subscription: new EventSubscription(EventTopic.AllCamera | EventTopic.SystemShutdown, "/dev/video1"));
        _notifier.Deliver(Connected("/dev/video0"));
        _notifier.Deliver(Connected("/dev/video1"));
        _notifier.Deliver(new ServiceLifecycleEvent(false, "1.0", TimeSpan.FromSeconds(3)));
        var got = Received(one).Select(Parse).ToList();
        Assert.That(got.Select(f => f.GetProperty("method").GetString()), Is.EqualTo(new[] { "camera_status_update", "system_event" }));
        Assert.That(got[0].GetProperty("params").GetProperty("device").GetString(), Is.EqualTo("/dev/video1"));
        Assert.That(got[1].GetProperty("params").ToString(), Is.EqualTo("""{"event":"system.shutdown","version":"1.0","uptime":3}"""));
    }

    [Test]
    public void OneEventIsSerializedOncePerDistinctBytes()
    {
        var a = Client("10.0.0.5");
        var b = Client("10.0.0.5");
        var c = Client("appliance.local");
        var s1 = Client("10.0.0.5", new EventSubscription(EventTopic.AllCamera, null));
        var s2 = Client("10.0.0.5", new EventSubscription(EventTopic.AllCamera, null));
        _notifier.Deliver(Connected());
        var (fa, fb, fc, f1, f2) = (Received(a).Single(), Received(b).Single(), Received(c).Single(), Received(s1).Single(), Received(s2).Single());
        Assert.That(fa, Is.EqualTo(fb));
        Assert.That(Encoding.UTF8.GetString(fc), Does.Contain("rtsp://appliance.local:8554/camera0"), "stream URLs use the host each client used");
        Assert.That(f1, Is.EqualTo(f2));
        Assert.That(f1, Is.Not.EqualTo(fa), "the subscribed copy carries the event field");
    }

    [Test]
    public void TheSameBufferIsQueuedToEveryClientThatGetsTheSameBytes()
    {
        var a = Client();
        var b = Client();
        _notifier.Deliver(Connected());
        Assert.That(a.TryTakeNext(out var fa) && b.TryTakeNext(out var fb) && ReferenceEquals(fa.Buffer, fb.Buffer), Is.True,
            "serialized once, shared by reference");
    }

    [Test]
    public void UnauthenticatedAndExpiredConnectionsGetNothing()
    {
        var anonymous = Client(authenticated: false);
        var expired = Client(authenticated: false, subscription: new EventSubscription(EventTopic.AllCamera, null));
        expired.Bind(AuthResult.Success(Role.Viewer, "t", DateTimeOffset.UtcNow.AddSeconds(-1), "jwt"));
        _notifier.Deliver(Connected());
        Assert.That(Received(anonymous).Concat(Received(expired)), Is.Empty);
    }

    [Test]
    public void AFullQueueDropsTheNotificationForThatClientOnlyAndCountsIt()
    {
        var slow = Client(queue: 2);
        var fine = Client(queue: 64);
        for (var i = 0; i < 10; i++) _notifier.Deliver(Connected($"/dev/video{i}"));
        Assert.That(Received(fine), Has.Count.EqualTo(10));
        Assert.That(Received(slow), Has.Count.EqualTo(2));
        Assert.That(slow.DroppedNotifications, Is.EqualTo(8));
        Assert.That(fine.DroppedNotifications, Is.Zero);
    }

    [TestCase("camera.connected", EventTopic.CameraConnected)]
    [TestCase("camera_status_update", EventTopic.AllCamera)]
    [TestCase("recording_status_update", EventTopic.RecordingStatus)]
    [TestCase("system_health_update", EventTopic.SystemHealth)]
    [TestCase("recording.progress", EventTopic.RecordingProgress)]
    [TestCase("camera.*", EventTopic.None)]
    [TestCase("Camera.Connected", EventTopic.None)]
    public void TopicNamesAndAliases(string name, EventTopic expected) => Assert.That(EventTopics.Parse(name), Is.EqualTo(expected));
}
