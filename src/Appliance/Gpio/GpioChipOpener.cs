using System.Device.Gpio;
using System.Device.Gpio.Drivers;

namespace Appliance.Gpio;

/// <summary>A gpiochip that cannot be used; the message says why in a technician's terms.</summary>
public sealed class GpioChipUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Opens the driver of the gpiochip with a given label (tests substitute a driver of their own).</summary>
public interface IGpioChipOpener
{
    /// <exception cref="GpioChipUnavailableException">no such chip, libgpiod missing, or no access.</exception>
    GpioDriver Open(string label);
}

/// <summary>
/// Finds the chip by label through libgpiod (Debian's libgpiod2, v1 API: it reads each
/// /dev/gpiochipN's label with the GPIO_GET_CHIPINFO ioctl) and opens System.Device.Gpio's
/// LibGpiodDriver on it. The chip number is never configured: it changes between kernels.
/// </summary>
public sealed class LibGpiodChipOpener : IGpioChipOpener
{
    public GpioDriver Open(string label)
    {
        IList<GpioChipInfo> chips;
        try
        {
            chips = LibGpiodDriver.GetAvailableChips();
        }
        catch (Exception e) when (e is DllNotFoundException or PlatformNotSupportedException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new GpioChipUnavailableException("libgpiod is not installed (Debian package libgpiod2)", e);
        }
        catch (IOException e)
        {
            throw new GpioChipUnavailableException($"cannot list the gpiochips: {e.Message}", e);
        }
        var chip = chips.FirstOrDefault(c => c.Label == label);
        if (chip is null)
        {
            var found = chips.Count == 0 ? "this machine has none" : "found: " + string.Join(", ", chips.Select(c => $"gpiochip{c.Id} \"{c.Label}\""));
            throw new GpioChipUnavailableException($"no gpiochip labelled \"{label}\" ({found})");
        }
        try
        {
            return new LibGpiodDriver(chip.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            throw new GpioChipUnavailableException($"cannot open /dev/gpiochip{chip.Id} (\"{label}\"): {e.Message} (root, or the gpio group?)", e);
        }
    }
}
