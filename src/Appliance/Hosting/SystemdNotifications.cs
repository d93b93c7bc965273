using Appliance.Health;
using Appliance.Rpc;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>
/// Talks to systemd over NOTIFY_SOCKET: READY=1 once Kestrel has bound its listeners (the host
/// fires ApplicationStarted only after that), STATUS= lines saying what the service is doing,
/// WATCHDOG=1 at half of WATCHDOG_USEC while the service is alive, STOPPING=1 on shutdown.
/// The package's SystemdLifetime only switches on when the parent process is systemd itself;
/// using its notifier directly keeps the protocol testable with any NOTIFY_SOCKET.
/// </summary>
public sealed class SystemdNotifications(ISystemdNotifier notifier, HealthRegistry health, ConnectionRegistry connections,
    IHostApplicationLifetime lifetime, ILogger<SystemdNotifications> log, Func<bool>? livenessCheck = null) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private string _lastStatus = "";
    private Task? _loop;

    public bool Enabled => notifier.IsEnabled;

    /// <summary>The interval systemd expects pings at, from WATCHDOG_USEC (and WATCHDOG_PID, when set, naming us).</summary>
    public static TimeSpan? WatchdogInterval()
    {
        var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (pid is not null && pid != Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)) return null;
        return long.TryParse(usec, out var us) && us > 0 ? TimeSpan.FromMicroseconds(us) : null;
    }

    public void Status(string text)
    {
        if (!notifier.IsEnabled || text == _lastStatus) return;
        _lastStatus = text;
        notifier.Notify(new ServiceState("STATUS=" + text));
    }

    public void Start(string listening)
    {
        if (!notifier.IsEnabled) return;
        lifetime.ApplicationStarted.Register(() =>
        {
            notifier.Notify(new ServiceState("READY=1\nSTATUS=" + Describe(listening)));
            _lastStatus = Describe(listening);
            _loop = Task.Run(() => LoopAsync(listening));
        });
        lifetime.ApplicationStopping.Register(() =>
        {
            _stop.Cancel();
            notifier.Notify(new ServiceState("STOPPING=1\nSTATUS=Stopping: closing connections"));
        });
    }

    private string Describe(string listening) =>
        $"Serving {listening}; {connections.Count} client(s); {health.Overall()}";

    private async Task LoopAsync(string listening)
    {
        var watchdog = WatchdogInterval();
        // Ping at half the watchdog interval; refresh STATUS at least every few seconds.
        var period = watchdog is { } w ? TimeSpan.FromTicks(Math.Max(w.Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks)) : TimeSpan.FromSeconds(5);
        if (period > TimeSpan.FromSeconds(5)) period = TimeSpan.FromSeconds(5);
        var nextPing = DateTime.UtcNow;
        using var timer = new PeriodicTimer(period);
        try
        {
            do
            {
                Status(Describe(listening));
                if (watchdog is { } interval && DateTime.UtcNow >= nextPing)
                {
                    if (livenessCheck?.Invoke() ?? true)
                    {
                        notifier.Notify(new ServiceState("WATCHDOG=1"));
                        nextPing = DateTime.UtcNow + interval / 2;
                    }
                    else
                    {
                        log.LogError("Liveness check failed: withholding the watchdog ping so systemd restarts the service");
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
