using Appliance.Events;

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

/// <summary>Where an update stands, for whatever shows it (the status LED): Pending while a bundle is installed or
/// a freshly installed slot waits to be marked good, Confirmed for a while after it was.</summary>
public enum UpdateIndicator { None, Pending, Confirmed }

/// <summary>The update indicator changed (published by <see cref="UpdateIndicatorState"/>; the GPIO status LED reads it).</summary>
public sealed record UpdateIndicatorChanged(UpdateIndicator Indicator, string Reason) : ApplianceEvent;
