using Appliance.Configuration;
using Appliance.Processes;
using Microsoft.Extensions.Logging;

namespace Appliance.Update;

/// <summary>
/// Reboots the device with <c>update.reboot_command</c> (by default <c>systemctl reboot</c>: the
/// unprivileged service user asks logind, and the polkit rule in rootfs-overlay allows it). The RPC
/// answers first and the command runs after a short delay, so the reply and its connection's last
/// frames leave before systemd stops the service (SIGTERM: recordings are closed cleanly, clients
/// get 1001). After install_update this boots the new slot. One reboot at a time: a second request
/// while one is scheduled answers the same schedule. The command runs on the service's
/// <see cref="ProcessRunner"/> (argument list, own process group, recorded for crash recovery),
/// takes no slot (it never waits behind media work) and is killed at once if it overruns
/// <see cref="CommandTimeout"/>: asking logind holds nothing worth a graceful stop.
/// </summary>
public sealed class DeviceReboot(ConfigStore config, ProcessRunner processes, ILogger<DeviceReboot> log, TimeProvider? time = null)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private DateTimeOffset? _scheduledFor;

    /// <summary>Schedules the reboot; returns when it runs and the command line.</summary>
    /// <exception cref="FileNotFoundException">the command's program does not exist here.</exception>
    public (DateTimeOffset At, string Command) Request(TimeSpan delay, string requestedBy)
    {
        var command = config.Current.Update.RebootCommand;
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var program = words.Length > 0 ? ExecutableResolver.Resolve(words[0]) : null;
        if (program is null) throw new FileNotFoundException($"the reboot command's program '{words.FirstOrDefault()}' was not found (update.reboot_command = \"{command}\")");
        lock (_gate)
        {
            if (_scheduledFor is { } already) return (already, command);
            var at = _time.GetUtcNow() + delay;
            _scheduledFor = at;
            log.LogWarning("Reboot requested by {User}: running '{Command}' in {Seconds} s", requestedBy, command, delay.TotalSeconds);
            _ = RunAsync(program, words[1..], delay);
            return (at, command);
        }
    }

    private async Task RunAsync(string program, string[] arguments, TimeSpan delay)
    {
        await Task.Delay(delay, _time).ConfigureAwait(false);
        int exit;
        string errors;
        try
        {
            using var process = await processes.RunAsync(program, arguments, new ChildProcessOptions { StderrLines = 6 }, CommandTimeout, CancellationToken.None)
                .ConfigureAwait(false);
            exit = await process.Exited.ConfigureAwait(false);
            errors = process.StderrLines is { Count: > 0 } lines ? string.Join("; ", lines) : $"exit code {exit}";
        }
        catch (Exception e) when (e is ChildProcessTimeoutException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            (exit, errors) = (-1, e.Message);
        }
        if (exit == 0)
        {
            log.LogWarning("Reboot: '{Program}' accepted; systemd is stopping the service", program);
            return;
        }
        // The device stays up: let the next request try again.
        log.LogError("Reboot failed: '{Program}' exited with {Exit}: {Errors}", program, exit, errors);
        lock (_gate) _scheduledFor = null;
    }
}
