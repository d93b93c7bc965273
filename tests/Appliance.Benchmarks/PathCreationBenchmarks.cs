using Appliance.Cameras;
using Appliance.Cameras.Virtual;
using Appliance.Configuration;
using Appliance.MediaMtx;
using Appliance.Testing.MediaMtx;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Benchmarks;

/// <summary>
/// Path creation per camera, the API part (issue 17's target: under 100 ms): the service's real
/// <see cref="PathReconciler.EnsureAsync"/> (config/paths/add through <see cref="MediaMtxClient"/>, its
/// Polly pipeline, pooled HTTP on loopback) against the MediaMTX stand-in running in this process,
/// then <see cref="MediaMtxClient.GetPathAsync"/> until the path is there (MediaMTX shows a configured
/// path at once, not ready until a publisher comes: the publisher's own start is FFmpeg's time and is
/// measured by the load client's scale scenario). One add per measured iteration, so the percentiles
/// are per operation; the path is deleted after each iteration, outside the measurement.
/// </summary>
[Config(typeof(PathCreationConfig))]
[MemoryDiagnoser]
public class PathCreationBenchmarks
{
    private MediaMtxStandIn _standIn = null!;
    private MediaMtxClient _client = null!;
    private PathReconciler _reconciler = null!;
    private PathConf _desired = null!;
    private int _next;
    private string _name = "";

    [GlobalSetup]
    public void Setup()
    {
        _standIn = MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0 }).GetAwaiter().GetResult();
        var config = new ApplianceConfig();
        config.Mediamtx.Host = "127.0.0.1";
        config.Mediamtx.ApiPort = _standIn.ApiPort;
        config.Mediamtx.RtspPort = _standIn.RtspPort;
        config.Camera.Virtual.Add(new VirtualCameraConfig { Name = "bench", Resolution = "320x240", Fps = 15 });
        var store = new ConfigStore(config, null, NullLogger.Instance);
        var cameras = new CameraRegistry(new Appliance.Events.EventHub());
        foreach (var c in VirtualCameras.FromConfig(config, ffmpegAvailable: true)) cameras.Set(c);
        _client = new MediaMtxClient(store, new Appliance.Events.EventHub());
        _reconciler = new PathReconciler(_client, cameras, store, NullLogger<PathReconciler>.Instance);
        _desired = _reconciler.Desired(cameras.All[0]);
    }

    [IterationSetup]
    public void NextName() => _name = $"virtual{++_next}";

    [Benchmark(Description = "add path + path visible (EnsureAsync, then paths/get)")]
    public async Task AddAndVisible()
    {
        await _reconciler.EnsureAsync(_name, _desired, CancellationToken.None);
        // Bounded: MediaMTX (and the stand-in) show a configured path at once; a few tries at most.
        for (var i = 0; i < 100; i++)
            if (await _client.GetPathAsync(_name, CancellationToken.None) is not null) return;
        throw new InvalidOperationException($"path {_name} not visible after it was added");
    }

    [IterationCleanup]
    public void Delete() => _client.DeletePathConfigAsync(_name, CancellationToken.None).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _standIn.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>One invocation per iteration (per-operation percentiles, p99 included), in this process
/// (the stand-in's files are next to this assembly).</summary>
public sealed class PathCreationConfig : ManualConfig
{
    public PathCreationConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1).WithWarmupCount(20).WithIterationCount(300)
            .WithInvocationCount(1).WithUnrollFactor(1)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId("PerAdd"));
        AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
    }
}
