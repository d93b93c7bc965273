using Appliance.Configuration;
using Appliance.Health;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

/// <param name="SupportedFormats">The recording containers (mp4, mkv, ts) and snapshot formats (jpg, png) this box's FFmpeg was found to write.</param>
/// <param name="Encoders">The encoders a recording can transcode with, hardware first per codec (what really encoded a test frame).</param>
/// <param name="EncodersProbed">False while the start-up probe is still running: the lists hold what is confirmed so far.</param>
public sealed record ServerInfoResult(string Name, string Version, string GitRevision, string Board, string[] Capabilities,
    string[] SupportedFormats, int MaxCameras, string[] Methods, IReadOnlyList<Media.Encoders.VideoEncoder> Encoders, bool EncodersProbed);

public sealed record StatusResult(string Status, double Uptime, string Version, Dictionary<string, string> Components,
    Dictionary<string, string> ComponentDetails, string[] ConfigPendingRestart);

public sealed record MetricsResult(long ActiveConnections, long TotalRequests, double AverageResponseTime, double ErrorRate,
    long MemoryUsage, double CpuUsage, double Uptime, long TotalConnections, long DroppedNotifications, long CutOffClients,
    int Threads, Dictionary<string, MethodMetrics> Methods, EventMetrics Events, RuntimeMetrics Runtime, RecordingMetrics? Recordings = null);

/// <summary>The recorder since start: recordings now and started, resumed after a failure, ends by reason,
/// torn tails cut back, and the fsync policy's work (fsyncs, bytes made durable).</summary>
public sealed record RecordingMetrics(int Active, long Started, long Resumed, Dictionary<string, long> Ends, long TornTailsCut, long Fsyncs, long BytesSynced);

/// <summary>The managed heap: bytes allocated since start (for allocation budgets measured from outside,
/// e.g. per delivered event), bytes live on the heap now, and garbage collections so far.</summary>
public sealed record RuntimeMetrics(long AllocatedBytes, long HeapBytes, int Gen0Collections, int Gen1Collections, int Gen2Collections);

/// <summary>The event hub and notification delivery: published/dropped at the hub, sent/dropped per client queue.</summary>
public sealed record EventMetrics(long Published, long DroppedAtHub, long NotificationsSent, long NotificationsDropped, int SubscribedClients);

public sealed record MethodMetrics(long Count, long Errors, double AverageMs);

/// <summary>ping, get_server_info, get_status, get_metrics: what the service says about itself.</summary>
public sealed class SystemMethods(ConfigStore config, HealthRegistry health, RpcMetrics metrics, ProcessStats process, RpcMethodTable table,
    Events.EventHub events, ConnectionRegistry connections, Media.Recordings.Recorder? recorder = null, Media.Encoders.EncoderProbe? encoders = null)
{
    public void Register()
    {
        table.Add("ping", Role.Viewer, _ => RpcResult.Completed("pong", RpcJsonContext.Default.String));
        table.Add("get_server_info", Role.Admin, async call => RpcResult.From(await ServerInfo(call.Cancellation), RpcJsonContext.Default.ServerInfoResult));
        table.Add("get_status", Role.Admin, _ => RpcResult.Completed(Status(), RpcJsonContext.Default.StatusResult));
        table.Add("get_metrics", Role.Admin, _ => RpcResult.Completed(Metrics(), RpcJsonContext.Default.MetricsResult));
    }

    private async Task<ServerInfoResult> ServerInfo(CancellationToken ct)
    {
        // Just after start the probe may still run: wait for it a little rather than answer half a list.
        var found = encoders is null ? Media.Encoders.MediaCapabilities.None
            : await encoders.WaitAsync(Media.Recordings.RecordingOptionsResolver.ProbeWait, ct);
        var c = config.Current;
        return new ServerInfoResult(AppInfo.Name, AppInfo.Version, AppInfo.GitRevision, c.Gpio.Board,
            ["snapshots", "recordings", "streaming"], [.. found.Containers, .. found.ImageFormats],
            c.Camera.DeviceRange[1] - c.Camera.DeviceRange[0] + 1 + c.Camera.Virtual.Count,
            [.. table.All.Select(m => m.Name).Order(StringComparer.Ordinal)], found.Encoders, found.Complete);
    }

    private StatusResult Status()
    {
        var components = new Dictionary<string, string>(StringComparer.Ordinal);
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in HealthComponents.Contract)
        {
            var c = health.Get(name);
            components[name] = HealthRegistry.StateName(c?.State ?? ComponentState.NotStarted);
            details[name] = c?.Detail ?? "not part of this build yet";
        }
        foreach (var c in health.Snapshot().Where(c => !components.ContainsKey(c.Name)))
        {
            components[c.Name] = HealthRegistry.StateName(c.State);
            details[c.Name] = c.Detail;
        }
        // The contract's components count even before they first reported (as not started).
        var overall = HealthRegistry.Overall(HealthComponents.Contract.Select(n => health.Get(n)?.State ?? ComponentState.NotStarted)
            .Concat(health.Snapshot().Select(c => c.State)));
        return new StatusResult(overall, Math.Round(AppInfo.Uptime.TotalSeconds, 3), AppInfo.Version, components, details, [.. config.PendingRestart]);
    }

    private MetricsResult Metrics()
    {
        var (rss, cpu, threads) = process.Sample();
        return new MetricsResult(metrics.ActiveConnections, metrics.TotalRequests, Math.Round(metrics.AverageResponseMs, 4),
            Math.Round(metrics.ErrorRate, 4), rss, cpu, Math.Round(AppInfo.Uptime.TotalSeconds, 3), metrics.TotalConnections,
            metrics.DroppedNotifications, metrics.CutOffClients, threads,
            metrics.Methods.Where(m => m.Value.CallCount > 0).ToDictionary(m => m.Key, m => new MethodMetrics(m.Value.CallCount, m.Value.ErrorCount, Math.Round(m.Value.AverageMs, 4))),
            new EventMetrics(events.Published, events.Dropped, metrics.SentNotifications, metrics.DroppedNotifications,
                connections.All.Count(c => c.Subscription is not null)),
            // precise: false is cheap (no GC suspension); exact to the thread allocation contexts.
            new RuntimeMetrics(GC.GetTotalAllocatedBytes(precise: false), GC.GetTotalMemory(forceFullCollection: false),
                GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)),
            recorder is null ? null : Recordings(recorder));
    }

    private static RecordingMetrics Recordings(Media.Recordings.Recorder recorder)
    {
        var active = recorder.ActiveSessions;
        var c = recorder.Counters;
        var (fsyncs, bytes) = c.Durability(active);
        return new RecordingMetrics(active.Count, c.Started, c.Resumed,
            c.Ends.ToDictionary(e => Media.Recordings.RecordingEndReasons.Name(e.Reason), e => e.Count, StringComparer.Ordinal), c.TornTailsCut, fsyncs, bytes);
    }
}
