using Appliance.Events;

namespace Appliance.MediaMtx.Streams;

/// <summary>A camera's MediaMTX path became ready or not ready, or its number of readers changed.</summary>
/// <param name="Camera">The camera ("/dev/video0", "virtual0").</param>
/// <param name="Path">Its MediaMTX path ("camera0").</param>
public sealed record StreamStatusChanged(string Camera, string Path, bool Ready, int Readers) : ApplianceEvent
{
    public override string? Device => Camera;
}
