using Appliance.Gpio;

namespace Appliance.Hosting.Composition;

/// <summary>GPIO: LEDs follow health, cameras, recordings and snapshots; the snapshot button (or the
/// admin method press_button) acts through SnapshotTaker/Recorder. The lines open now, so the status
/// LED blinks "starting" while cameras are scanned; they are released (LEDs dark) at exit.</summary>
internal static class GpioComposition
{
    public static GpioService Add(HostContext host, CamerasParts cameras, MediaParts media)
    {
        var gpio = GpioService.Create(host.Config, host.Health, cameras.Registry, host.Events, media.Snapshots, media.Recorder, host.Loggers);
        gpio.Start();
        host.Lifetime.ApplicationStopped.Register(gpio.Dispose);
        return gpio;
    }
}
