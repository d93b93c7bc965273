using System.Text;
using Appliance.Cameras;
using Appliance.Cameras.Virtual;
using Appliance.Configuration;
using Appliance.MediaMtx;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Benchmarks;

/// <summary>Our own cost per MediaMTX operation, with the server replaced by canned answers.</summary>
[MemoryDiagnoser]
public class MediaMtxClientBenchmarks
{
    private MediaMtxClient _client = null!;
    private PathReconciler _reconciler = null!;
    private PathConf _desired = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = new ApplianceConfig();
        for (var i = 0; i < 4; i++) config.Camera.Virtual.Add(new VirtualCameraConfig { Name = $"cam{i}" });
        var store = new ConfigStore(config, null, NullLogger.Instance);
        var cameras = new CameraRegistry(new Appliance.Events.EventHub());
        foreach (var c in VirtualCameras.FromConfig(config, ffmpegAvailable: true)) cameras.Set(c);
        var reconcilerForShapes = new PathReconciler(null!, cameras, store, NullLogger<PathReconciler>.Instance);
        // The path list MediaMTX would return when everything is already in place: a reconcile that changes nothing.
        var items = string.Join(",", cameras.All.Select(c =>
        {
            var d = reconcilerForShapes.Desired(c);
            return $$"""{"name":"{{c.StreamPath}}","source":"publisher","runOnDemand":{{System.Text.Json.JsonSerializer.Serialize(d.RunOnDemand)}},"runOnDemandRestart":true,"runOnDemandStartTimeout":"{{d.RunOnDemandStartTimeout}}","runOnDemandCloseAfter":"10s","record":false}""";
        }));
        var list = Encoding.UTF8.GetBytes($$"""{"itemCount":4,"pageCount":1,"items":[{{items}}]}""");
        var info = Encoding.UTF8.GetBytes("""{"version":"v1.20.1","started":"2026-11-25T10:00:00Z"}""");
        var ok = Encoding.UTF8.GetBytes("""{"status":"ok"}""");
        _client = new MediaMtxClient(store, new CannedHandler(r =>
            r.RequestUri!.AbsolutePath switch
            {
                "/v3/info" => info,
                "/v3/config/paths/list" => list,
                _ => ok,
            }), new Appliance.Events.EventHub());
        _reconciler = new PathReconciler(_client, cameras, store, NullLogger<PathReconciler>.Instance);
        _desired = _reconciler.Desired(cameras.All[0]);
    }

    [Benchmark(Description = "add path (config/paths/add)")]
    public Task AddPath() => _client.AddPathConfigAsync("virtual0", _desired, CancellationToken.None);

    [Benchmark(Description = "patch path (config/paths/patch)")]
    public Task PatchPath() => _client.PatchPathConfigAsync("virtual0", _desired, CancellationToken.None);

    [Benchmark(Description = "health check (/v3/info)")]
    public Task<ServerInfo?> HealthCheck() => _client.GetInfoAsync(CancellationToken.None);

    [Benchmark(Description = "reconcile 4 paths, nothing to change (list + compare)")]
    public Task<ReconcileResult> Reconcile() => _reconciler.ReconcileAsync(CancellationToken.None);

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();
}
