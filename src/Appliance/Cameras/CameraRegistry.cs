using Appliance.Events;

namespace Appliance.Cameras;

public enum CameraChangeKind { Connected, Disconnected, StatusChange }

/// <summary>A camera appeared, changed or went away (published on the event hub).</summary>
public sealed record CameraChange(Camera? Previous, Camera Current) : ApplianceEvent
{
    public override string? Device => Current.Device;

    /// <summary>Connected: now CONNECTED and was not; Disconnected: now DISCONNECTED and was not; else a status change
    /// (ERROR, or a change of name, modes or resolution of a camera whose status stayed).</summary>
    public CameraChangeKind Kind =>
        Current.IsConnected && Previous?.IsConnected != true ? CameraChangeKind.Connected
        : Current.Status == CameraStatus.Disconnected && Previous?.Status != CameraStatus.Disconnected ? CameraChangeKind.Disconnected
        : CameraChangeKind.StatusChange;
}

/// <summary>
/// The single source of truth about cameras. Discovery and the virtual-camera source write it;
/// everything else (API, MediaMTX paths, recordings, LEDs) reads it or follows its
/// <see cref="CameraChange"/> events on the hub.
/// </summary>
public sealed class CameraRegistry(EventHub events)
{
    private readonly Lock _gate = new();
    private Dictionary<string, Camera> _cameras = new(StringComparer.Ordinal);

    public IReadOnlyList<Camera> All
    {
        get
        {
            lock (_gate) return [.. _cameras.Values.OrderBy(c => c.Source).ThenBy(c => c.Id.Number).ThenBy(c => c.Device, StringComparer.Ordinal)];
        }
    }

    /// <summary>Finds by device id ("/dev/video0", "virtual0") or by stream path ("camera0").</summary>
    public Camera? Find(string device)
    {
        lock (_gate)
        {
            if (_cameras.TryGetValue(device, out var c)) return c;
            return _cameras.Values.FirstOrDefault(x => x.StreamPath == device);
        }
    }

    /// <summary>Adds or replaces a camera; publishes a <see cref="CameraChange"/> when something a client can see changed.</summary>
    public void Set(Camera camera)
    {
        Camera? previous;
        lock (_gate)
        {
            _cameras.TryGetValue(camera.Device, out previous);
            if (previous is not null && SameForClients(previous, camera)) return;
            var next = new Dictionary<string, Camera>(_cameras, StringComparer.Ordinal) { [camera.Device] = camera };
            // The same physical camera back on another node: its old entry is superseded.
            if (camera.IsConnected)
                foreach (var stale in next.Values.Where(c => c.Device != camera.Device && !c.IsConnected && c.Identity == camera.Identity).ToList())
                    next.Remove(stale.Device);
            _cameras = next;
            // Published under the lock, so two changes of one camera reach the hub in the order they were made.
            events.Publish(new CameraChange(previous, camera));
        }
    }

    public void MarkDisconnected(string device)
    {
        Camera? current;
        lock (_gate) _cameras.TryGetValue(device, out current);
        if (current is null || current.Status == CameraStatus.Disconnected) return;
        Set(current with { Status = CameraStatus.Disconnected, ValidationStatus = "disconnected", Error = null, Since = DateTimeOffset.UtcNow });
    }

    /// <summary>A previously seen camera with this identity (to recognise it on another node).</summary>
    public Camera? FindByIdentity(string identity)
    {
        lock (_gate) return _cameras.Values.FirstOrDefault(c => c.Identity == identity);
    }

    private static bool SameForClients(Camera a, Camera b) =>
        a.Status == b.Status && a.Name == b.Name && a.Resolution == b.Resolution && a.Fps == b.Fps && a.Error == b.Error
        && a.Identity == b.Identity && a.InputFormat == b.InputFormat && a.Modes.SequenceEqual(b.Modes, ModeComparer.Instance);

    private sealed class ModeComparer : IEqualityComparer<VideoMode>
    {
        public static readonly ModeComparer Instance = new();
        public bool Equals(VideoMode? x, VideoMode? y) =>
            x is not null && y is not null && x.FourCc == y.FourCc && x.Size == y.Size && x.FrameRates.SequenceEqual(y.FrameRates);
        public int GetHashCode(VideoMode obj) => HashCode.Combine(obj.FourCc, obj.Size);
    }
}
