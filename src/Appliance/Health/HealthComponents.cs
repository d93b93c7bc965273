namespace Appliance.Health;

/// <summary>
/// The component names the v1 contract lists in get_status (clients look for exactly these). Each is
/// reported by the part that owns it; named here once, so that a reader (the status LED, the
/// mark-good gate, /health/ready) never spells them again.
/// </summary>
public static class HealthComponents
{
    /// <summary>The API server: starting until Kestrel listens, stopped once shutdown begins.</summary>
    public const string ApiServer = "websocket_server";

    /// <summary>Camera discovery and hot-plug.</summary>
    public const string Cameras = "camera_monitor";

    /// <summary>The media server (MediaMTX) as seen through its API.</summary>
    public const string MediaServer = "mediamtx_controller";

    /// <summary>The three, in the contract's order.</summary>
    public static readonly IReadOnlyList<string> Contract = [ApiServer, Cameras, MediaServer];
}
