using Appliance.Update;

namespace Appliance.Hosting.Composition;

/// <summary>OTA: the rauc CLI; the mark-good gate (a freshly installed slot is marked good only after
/// update.healthy_after s of continuous health, else the bootloader falls back); install_update's
/// background installer; reboot. Both gate and installer set the update indicator (on the hub).</summary>
internal sealed record UpdateParts(RaucClient Rauc, MarkGoodGate MarkGood, UpdateInstaller Installer, DeviceReboot Reboot)
{
    public static UpdateParts Add(HostContext host, ProcessesParts processes)
    {
        var config = host.Config;
        var rauc = new RaucClient(() => config.Current.Update.RaucPath, processes.Runner, host.Log<RaucClient>());
        var indicator = new UpdateIndicatorState(host.Events);
        var reboot = new DeviceReboot(config, processes.Runner, host.Log<DeviceReboot>());
        var markGood = new MarkGoodGate(config, rauc, host.Health, host.Events, indicator, new ConfirmedSlots(host.StateDir, host.Log<ConfirmedSlots>()),
            host.Log<MarkGoodGate>(), reboot: reboot);
        var installer = new UpdateInstaller(rauc, host.Events, indicator, host.Log<UpdateInstaller>());
        host.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(markGood.StartAsync)); // rauc is asked off the start-up path
        host.Lifetime.ApplicationStopping.Register(markGood.Dispose);
        host.Lifetime.ApplicationStopping.Register(installer.Dispose);
        return new UpdateParts(rauc, markGood, installer, reboot);
    }
}
