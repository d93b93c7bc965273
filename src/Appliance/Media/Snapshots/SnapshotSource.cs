using Appliance.Cameras;

namespace Appliance.Media.Snapshots;

/// <summary>Where a still image is read from, and the FFmpeg arguments that read it.</summary>
/// <param name="Input">"stream" (MediaMTX's live path), "device" (the V4L2 node) or "pattern" (a virtual camera).</param>
public sealed record SnapshotInput(IReadOnlyList<string> Arguments, string Input);

/// <summary>
/// The one place that decides where a still image comes from: the live RTSP stream when MediaMTX
/// serves the camera right now (the publisher holds the device, and the stream is warm), else the
/// device itself or the virtual camera's test pattern. take_snapshot, the GPIO button (through
/// <see cref="SnapshotTaker"/>) and the in-memory <see cref="StillCapture"/> all ask here.
/// </summary>
public sealed class SnapshotSource(ILiveStreams streams)
{
    public async Task<SnapshotInput> ChooseAsync(Camera camera, SnapshotSettings settings, CancellationToken ct)
    {
        if (await IsLiveAsync(camera, ct))
            return new SnapshotInput(SnapshotArguments.FromStream(streams.ReadUrl(camera), settings), "stream");
        return new SnapshotInput(SnapshotArguments.FromDevice(camera, settings), camera.Source == CameraSource.Virtual ? "pattern" : "device");
    }

    // MediaMTX serves the path right now: read the stream instead of fighting the publisher for the device.
    // A slow answer (a busy box) says nothing about the path, and MediaMTX is up: the stream is the safe
    // choice then, since it always gives the camera's picture (its publisher starts on demand), while
    // the device may be held by a running publisher and a virtual camera's pattern is not what it shows.
    // Only a MediaMTX that is down (circuit open, or refusing) sends the read to the device.
    private async Task<bool> IsLiveAsync(Camera camera, CancellationToken ct)
    {
        if (streams.MediaServerDown) return false;
        using var quick = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quick.CancelAfter(LivenessQueryTimeout);
        try
        {
            return await streams.LivenessAsync(camera, quick.Token) == StreamLiveness.Ready;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return true;
        }
    }

    private static readonly TimeSpan LivenessQueryTimeout = TimeSpan.FromMilliseconds(500);
}
