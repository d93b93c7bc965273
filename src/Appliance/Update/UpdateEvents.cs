using Appliance.Events;
using Appliance.Gpio;

namespace Appliance.Update;

/// <summary>Where install_update's background installation is.</summary>
public enum InstallState { Idle, Installing, Succeeded, Failed }

public static class InstallStates
{
    public static string Name(InstallState s) => s switch
    {
        InstallState.Installing => "installing",
        InstallState.Succeeded => "succeeded",
        InstallState.Failed => "failed",
        _ => "idle",
    };
}

/// <summary>
/// One step of an installation (published on the hub; clients subscribed to update.progress get it as
/// update_progress): every progress line RAUC prints while <paramref name="Status"/> is installing, then
/// exactly one succeeded or failed.
/// </summary>
/// <param name="Error">RAUC's error text when failed.</param>
public sealed record UpdateProgress(string Bundle, int Percent, string Message, InstallState Status, string? Error = null) : ApplianceEvent;

/// <summary>What the status LED should say about updates (read by the GPIO StatusWatcher from the hub).</summary>
public sealed record UpdateIndicatorChanged(UpdateIndicator Indicator, string Reason) : ApplianceEvent;
