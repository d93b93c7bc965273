using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Media;
using Appliance.MediaMtx.Streams;
using Microsoft.Extensions.Logging;

namespace Appliance.MediaMtx;

/// <summary>
/// Makes MediaMTX's path configuration match the cameras: one path per connected camera
/// (cameraN / virtualN) whose runOnDemand publishes it, no path for a camera that is gone.
/// Idempotent: "already exists" is compared and patched, never an error. MediaMTX keeps API-made
/// config in memory only, so after it restarts the next reconcile re-creates every path; the
/// streams loop (<see cref="CameraStreams"/>) runs one in every health check.
/// </summary>
public sealed class PathReconciler(MediaMtxClient client, CameraRegistry cameras, ConfigStore config, ILogger<PathReconciler> log)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The names this service manages (it may delete these when their camera is gone).</summary>
    public static bool IsManaged(string name) => CameraId.TryParseStreamPath(name, out _);

    public PathConf Desired(Camera camera)
    {
        var c = config.Current;
        return new PathConf
        {
            Source = "publisher",
            // Carries this boot's publish credential: after a restart the command differs, so the
            // next reconcile patches every path (Matches compares RunOnDemand).
            RunOnDemand = PublisherCommand.CommandLine(camera, c, InternalRtspUrl.For(c, camera.StreamPath, client.Credentials.Publish)),
            RunOnDemandRestart = true,
            RunOnDemandStartTimeout = $"{Math.Ceiling(c.Mediamtx.StreamReadinessTimeout)}s",
            // A publisher waits for its readers at least as long as they wait for it. A reader turned
            // away while the publisher started (the recorder's FFmpeg gives up a held DESCRIBE after its
            // 5 s socket timeout) comes back with a new FFmpeg; where starting FFmpeg takes longer than
            // MediaMTX's 10 s default, the publisher it started was closed before it came back.
            RunOnDemandCloseAfter = $"{Math.Max(10, Math.Ceiling(c.Mediamtx.StreamReadinessTimeout))}s",
        };
    }

    /// <summary>One full pass: list MediaMTX's paths, add/patch/delete until they match. Returns what it changed.</summary>
    public async Task<ReconcileResult> ReconcileAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var existing = (await client.ListPathConfigsAsync(ct)).Where(p => p.Name is not null).ToDictionary(p => p.Name!, StringComparer.Ordinal);
            var wanted = cameras.All.Where(c => c.IsConnected).ToDictionary(c => c.StreamPath, Desired, StringComparer.Ordinal);
            var result = new ReconcileResult();
            foreach (var (name, desired) in wanted)
            {
                if (!existing.TryGetValue(name, out var current))
                {
                    await EnsureAsync(name, desired, ct);
                    result.Added.Add(name);
                }
                else if (!Matches(current, desired))
                {
                    await client.PatchPathConfigAsync(name, desired, ct);
                    result.Patched.Add(name);
                }
            }
            foreach (var name in existing.Keys.Where(n => IsManaged(n) && !wanted.ContainsKey(n)))
            {
                try { await client.DeletePathConfigAsync(name, ct); }
                catch (MediaMtxException e) when (e.Kind == MediaMtxErrorKind.NotFound) { }
                result.Removed.Add(name);
            }
            if (result.Changed)
                log.LogInformation("MediaMTX paths reconciled: added [{Added}] patched [{Patched}] removed [{Removed}]",
                    string.Join(", ", result.Added), string.Join(", ", result.Patched), string.Join(", ", result.Removed));
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Adds the path; if it already exists, brings it to the desired config instead.</summary>
    public async Task EnsureAsync(string name, PathConf desired, CancellationToken ct)
    {
        try
        {
            await client.AddPathConfigAsync(name, desired, ct);
        }
        catch (MediaMtxException e) when (e.Kind == MediaMtxErrorKind.AlreadyExists)
        {
            var current = await client.GetPathConfigAsync(name, ct);
            if (current is null) await client.AddPathConfigAsync(name, desired, ct);
            else if (!Matches(current, desired)) await client.PatchPathConfigAsync(name, desired, ct);
        }
    }

    private static bool Matches(PathConf current, PathConf desired) =>
        current.Source == desired.Source && current.RunOnDemand == desired.RunOnDemand
        && current.RunOnDemandRestart == desired.RunOnDemandRestart
        && current.RunOnDemandStartTimeout == desired.RunOnDemandStartTimeout
        && current.RunOnDemandCloseAfter == desired.RunOnDemandCloseAfter;
}

public sealed class ReconcileResult
{
    public List<string> Added { get; } = [];
    public List<string> Patched { get; } = [];
    public List<string> Removed { get; } = [];
    public bool Changed => Added.Count + Patched.Count + Removed.Count > 0;
}
