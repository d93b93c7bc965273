using Appliance.Configuration;
using Appliance.Events;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>
/// Deliberate faults, so the systemd watchdog can be proven on the real process (a hung service must
/// stop pinging, and that can only be shown by hanging one). <c>APPLIANCE_FAULT=hang-event-loop</c>
/// blocks the event hub's dispatch loop one second after start, the way a deadlocked subscriber would.
/// Honoured only when <c>server.environment = "development"</c>: a production unit's environment can
/// never make it hang.
/// </summary>
public static class FaultInjection
{
    public const string Variable = ConfigLoader.FaultInjectionVariable;

    public static void Arm(ApplianceConfig config, EventHub events, ILogger log)
    {
        var fault = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(fault)) return;
        if (!string.Equals(config.Server.Environment, "development", StringComparison.Ordinal))
        {
            log.LogWarning("{Variable}={Fault} ignored: fault injection only works with server.environment = \"development\"", Variable, fault);
            return;
        }
        if (fault != "hang-event-loop")
        {
            log.LogWarning("{Variable}={Fault}: unknown fault (known: hang-event-loop)", Variable, fault);
            return;
        }
        log.LogWarning("Fault injection: the event loop will hang in 1 s ({Variable}={Fault})", Variable, fault);
        var hang = new ManualResetEventSlim(false); // never set: the loop stays blocked until the process ends
        events.On<Hang>("fault-injection", _ => hang.Wait());
        _ = Task.Delay(TimeSpan.FromSeconds(1)).ContinueWith(_ => events.Publish(new Hang()), TaskScheduler.Default);
    }

    private sealed record Hang : ApplianceEvent;
}
