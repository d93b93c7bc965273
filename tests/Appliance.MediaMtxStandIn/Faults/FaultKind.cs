namespace Appliance.Testing.MediaMtx;

/// <summary>The ways the stand-in can misbehave on purpose (see <see cref="Fault"/>).</summary>
public enum FaultKind
{
    /// <summary>Wait <see cref="Fault.Delay"/> before handling the request normally.</summary>
    Delay,
    /// <summary>Answer <see cref="Fault.StatusCode"/> with a MediaMTX-shaped error body.</summary>
    Status,
    /// <summary>Answer 200 with a body that is not JSON.</summary>
    GarbageBody,
    /// <summary>Send the real answer's headers with its full Content-Length, half its body, then abort.</summary>
    TruncatedBody,
    /// <summary>Abort the connection without sending anything.</summary>
    DropConnection,
}
