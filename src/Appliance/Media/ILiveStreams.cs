using Appliance.Cameras;

namespace Appliance.Media;

/// <summary>
/// The cameras' live streams as Media's own readers (recorder, snapshots, still images) need them:
/// where to read a camera's stream, whether it is live, whether the media server is there at all.
/// Defined here and implemented by the media server's side (MediaMtx/Streams/CameraStreams), so
/// Media never names the media server's types.
/// </summary>
public interface ILiveStreams
{
    /// <summary>True while the media server is taken for down (repeated failures opened its
    /// circuit): asking it would fail at once, so callers refuse or wait instead.</summary>
    bool MediaServerDown { get; }

    /// <summary>The RTSP URL this service's own processes read the camera's stream from, with the
    /// per-boot read credential (the media server asks the auth hook about every reader).</summary>
    string ReadUrl(Camera camera);

    /// <summary>Whether the camera's stream is published and ready to read right now, as the media
    /// server says. Cancelling <paramref name="ct"/> throws; a server that cannot answer is
    /// <see cref="StreamLiveness.ServerUnavailable"/>.</summary>
    Task<StreamLiveness> LivenessAsync(Camera camera, CancellationToken ct);
}

/// <summary>The answer of <see cref="ILiveStreams.LivenessAsync"/>.</summary>
public enum StreamLiveness
{
    /// <summary>Published and ready to read.</summary>
    Ready,

    /// <summary>Not published (yet): an on-demand publisher starts when someone reads.</summary>
    NotReady,

    /// <summary>The media server did not answer, refused, or its circuit is open.</summary>
    ServerUnavailable,
}
