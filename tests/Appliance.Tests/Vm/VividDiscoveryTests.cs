using System.Diagnostics;
using System.Text.Json;
using Appliance.Cameras;
using Appliance.Cameras.V4L2;
using Appliance.Configuration;
using Appliance.Health;
using Appliance.Security;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Vm;

/// <summary>
/// Discovery against the kernel's vivid driver: real ioctls on real /dev/video nodes. The VM loads
/// vivid with n_devs=2 node_types=0x1,0x20001: /dev/video0 and /dev/video1 capture video, and the
/// second instance also has a metadata capture node (as a UVC webcam has), which is not a camera.
/// </summary>
[Category("Vm")]
[NonParallelizable]
public class VividDiscoveryTests
{
    [SetUp]
    public void InVm() => VmEnvironment.Require();

    private static IEnumerable<string> VideoNodes() => Directory.GetFiles("/dev", "video*").Order(StringComparer.Ordinal);

    [Test]
    public void QuerycapReadsTheDriverAndNodeCapabilities()
    {
        using var node = V4l2Device.Open("/dev/video0");
        var id = node.QueryCapabilities();
        Assert.That(id.Driver, Is.EqualTo("vivid"));
        Assert.That(id.BusInfo, Does.StartWith("platform:vivid"));
        Assert.That(id.Capabilities & V4l2.CapDeviceCaps, Is.Not.Zero, "vivid fills device_caps");
        Assert.That(id.IsVideoCapture, Is.True);
    }

    [Test]
    public void TheMetadataNodeIsFoundAndIsNotACamera()
    {
        var nodes = VideoNodes().ToList();
        Assert.That(nodes, Has.Count.EqualTo(3), string.Join(", ", nodes));
        var probe = new V4l2CameraProbe();
        var config = new CameraSection();
        var cameras = nodes.Select(n => probe.Probe(n, config, null)).ToList();
        Assert.That(cameras.Count(c => c is not null), Is.EqualTo(2));
        var meta = nodes.Single(n => { using var d = V4l2Device.Open(n); return !d.QueryCapabilities().IsVideoCapture; });
        using var metaNode = V4l2Device.Open(meta);
        Assert.That(metaNode.QueryCapabilities().NodeCaps & V4l2.CapMetaCapture, Is.Not.Zero);
    }

    [Test]
    public void FormatsSizesAndFrameRatesComeFromTheDriver()
    {
        var camera = new V4l2CameraProbe().Probe("/dev/video0", new CameraSection(), null)!;
        Assert.That(camera.Status, Is.EqualTo(CameraStatus.Connected));
        Assert.That(camera.Formats.Select(f => f.FourCc), Does.Contain("YUYV"));
        Assert.That(camera.Modes, Is.Not.Empty);
        Assert.That(camera.ResolutionNames, Does.Contain("1280x720").Or.Contain("640x480"));
        Assert.That(camera.FpsOptions, Is.Not.Empty);
        Assert.That(camera.Modes.All(m => m.FrameRates.All(r => r > 0)), Is.True);
        Assert.That(camera.Resolution.Width, Is.GreaterThan(0));
        Assert.That(camera.Fps, Is.GreaterThan(0));
        Assert.That(camera.Identity, Does.Contain("platform:vivid"));
        VmEnvironment.Record($"vivid /dev/video0: {camera.Formats.Count} formats, {camera.Modes.Count} modes, default {camera.Resolution}@{camera.Fps} {camera.InputFormat}");
    }

    [Test]
    public async Task FullScanTimeAndAllocations()
    {
        var config = new ApplianceConfig();
        var store = new ConfigStore(config, null, NullLogger.Instance);
        using var events = new Appliance.Events.EventHub();
        var registry = new CameraRegistry(events);
        using var discovery = new CameraDiscovery(store, registry, new V4l2CameraProbe(), new HealthRegistry(events), events, NullLogger<CameraDiscovery>.Instance);
        await discovery.ScanAsync(CancellationToken.None);
        Assert.That(registry.All.Count(c => c.IsConnected), Is.EqualTo(2));

        // A cold scan probes every node (the node cache is cleared by marking them disconnected).
        const int rounds = 20;
        var times = new List<double>();
        long allocated = 0;
        for (var i = 0; i < rounds; i++)
        {
            foreach (var c in registry.All) registry.MarkDisconnected(c.Device);
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var sw = Stopwatch.StartNew();
            await discovery.ScanAsync(CancellationToken.None);
            times.Add(sw.Elapsed.TotalMilliseconds);
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        times.Sort();
        Assert.That(registry.All.Count(c => c.IsConnected), Is.EqualTo(2));
        VmEnvironment.Record($"full discovery scan, 3 nodes (2 cameras): median {times[rounds / 2]:F2} ms, max {times[^1]:F2} ms, {allocated / rounds / 1024.0:F1} KiB allocated per scan (TCG-emulated VM)");
    }
}

/// <summary>Hot-plug on a real kernel: unbinding and binding the vivid platform device removes and
/// re-creates its nodes, and the running service tells its WebSocket clients.</summary>
[Category("Vm")]
[NonParallelizable]
public class VividHotplugTests
{
    private const string Driver = "/sys/bus/platform/drivers/vivid";

    [SetUp]
    public void InVm() => VmEnvironment.Require();

    [Test]
    public async Task UnbindAndBindAreNoticedAndNotified()
    {
        await using var host = await RunningHost.StartAsync(extraToml: "[camera]\nhotplug_debounce_ms = 100\n", realDev: true);
        await using var client = await host.ConnectAsync(Role.Viewer);
        using (var list = await client.CallAsync("get_camera_list"))
            Assert.That(list.RootElement.GetProperty("result").GetProperty("connected").GetInt32(), Is.EqualTo(2));

        var sw = Stopwatch.StartNew();
        VmEnvironment.WriteSysfs($"{Driver}/unbind", "vivid.0");
        var gone = await Collect(client, "DISCONNECTED", 2);
        var removeMs = sw.Elapsed.TotalMilliseconds;
        Assert.That(gone.Select(g => g.GetProperty("device").GetString()), Is.EquivalentTo(new[] { "/dev/video0", "/dev/video1" }));

        sw.Restart();
        VmEnvironment.WriteSysfs($"{Driver}/bind", "vivid.0");
        var back = await Collect(client, "CONNECTED", 2);
        var addMs = sw.Elapsed.TotalMilliseconds;
        Assert.That(back.Select(g => g.GetProperty("device").GetString()), Is.EquivalentTo(new[] { "/dev/video0", "/dev/video1" }));
        Assert.That(back.All(b => b.GetProperty("streams").GetProperty("rtsp").GetString()!.StartsWith("rtsp://127.0.0.1:8554/camera")), Is.True);
        VmEnvironment.Record($"hot-plug detection (inotify, 100 ms debounce): remove {removeMs:F0} ms, add {addMs:F0} ms to the notification on the WebSocket (TCG-emulated VM)");
        Assert.That(removeMs, Is.LessThan(2000));
        Assert.That(addMs, Is.LessThan(2000));
    }

    private static async Task<List<JsonElement>> Collect(RpcTestClient client, string status, int count)
    {
        var found = new List<JsonElement>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (found.Count < count && DateTime.UtcNow < deadline)
        {
            while (client.Notifications.TryDequeue(out var doc))
            {
                var p = doc.RootElement.GetProperty("params");
                if (doc.RootElement.GetProperty("method").GetString() == "camera_status_update" && p.GetProperty("status").GetString() == status)
                    found.Add(p.Clone());
            }
            await Task.Delay(5);
        }
        Assert.That(found, Has.Count.EqualTo(count), $"expected {count} {status} notifications");
        return found;
    }
}
