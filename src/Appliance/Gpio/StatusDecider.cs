using Appliance.Health;
using Appliance.Update;

namespace Appliance.Gpio;

/// <summary>Everything the status LED depends on, as last reported by the subsystems.</summary>
/// <param name="Serving">The API listens (websocket_server running).</param>
/// <param name="Stopping">The service is shutting down (websocket_server stopped).</param>
/// <param name="MediaMtx">The MediaMTX monitor's health state; null before it reported.</param>
/// <param name="Failed">Components that reported failed (a storage guard reports a full disk this way).</param>
/// <param name="ConfigRejected">Why the last config edit was rejected; null once an edit is accepted.</param>
/// <param name="UpdateReason">What the update indicator is about ("update being installed", "new slot waiting to be confirmed").</param>
public sealed record StatusInputs(bool Serving, bool Stopping, ComponentState? MediaMtx, int ConnectedCameras, IReadOnlyList<string> Failed,
    string? ConfigRejected, UpdateIndicator Update, string? UpdateReason = null);

/// <summary>The status LED's one pattern for the current inputs, with the reason (logged and shown in get_status).</summary>
public static class StatusDecider
{
    // Most urgent first: a technician looking at the box must see the worst thing that is true.
    public static (StatusPattern Pattern, string Reason) Decide(StatusInputs s)
    {
        // Dark from the moment it stops serving: a blinking "starting" while recordings are finalised would mislead.
        if (s.Stopping) return (StatusPattern.Off, "shutting down");
        if (s.Failed.Count > 0) return (StatusPattern.Error, $"failed: {string.Join(", ", s.Failed)}");
        if (s.ConfigRejected is { } why) return (StatusPattern.Error, $"config edit rejected: {why}");
        if (s.Update == UpdateIndicator.Pending) return (StatusPattern.UpdatePending, s.UpdateReason ?? "update being installed");
        if (!s.Serving) return (StatusPattern.Starting, "API not serving yet");
        if (s.MediaMtx is null or ComponentState.NotStarted or ComponentState.Starting) return (StatusPattern.Starting, "waiting for the first MediaMTX check");
        if (s.MediaMtx != ComponentState.Running) return (StatusPattern.Degraded, "MediaMTX unavailable (failing or circuit open)");
        if (s.ConnectedCameras == 0) return (StatusPattern.Degraded, "no camera connected");
        if (s.Update == UpdateIndicator.Confirmed) return (StatusPattern.UpdateConfirmed, s.UpdateReason ?? "update confirmed");
        return (StatusPattern.Healthy, $"serving, MediaMTX healthy, {s.ConnectedCameras} camera(s) connected");
    }
}
