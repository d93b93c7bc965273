namespace Appliance.Tests.Vm;

/// <summary>
/// A real gpiochip from the kernel's gpio-sim, made through configfs (the VM loads the module and
/// mounts configfs). The bank's label is chosen by the test, so a shipped board map finds it the
/// way it finds the Raspberry Pi's chip. Pulling a line up or down is a finger on a button; an
/// output line's value file shows what the service drives.
/// </summary>
public sealed class GpioSim : IDisposable
{
    private const string ConfigFs = "/sys/kernel/config/gpio-sim";
    private readonly string _device;
    private readonly string _sysfs;

    public GpioSim(string name, string label, int lines, IReadOnlyDictionary<int, string>? lineNames = null)
    {
        _device = Path.Combine(ConfigFs, name);
        Directory.CreateDirectory(_device);
        var bank = Path.Combine(_device, "bank0");
        Directory.CreateDirectory(bank);
        File.WriteAllText(Path.Combine(bank, "label"), label);
        File.WriteAllText(Path.Combine(bank, "num_lines"), lines.ToString());
        foreach (var (offset, lineName) in lineNames ?? new Dictionary<int, string>())
        {
            var line = Path.Combine(bank, $"line{offset}");
            Directory.CreateDirectory(line);
            File.WriteAllText(Path.Combine(line, "name"), lineName);
        }
        File.WriteAllText(Path.Combine(_device, "live"), "1");
        var devName = File.ReadAllText(Path.Combine(_device, "dev_name")).Trim();
        ChipName = File.ReadAllText(Path.Combine(bank, "chip_name")).Trim();
        _sysfs = $"/sys/devices/platform/{devName}/{ChipName}";
        Label = label;
    }

    public string ChipName { get; }
    public string Label { get; }

    /// <summary>What the service drives on an output line (or the pulled level of an input).</summary>
    public int Value(int line) => int.Parse(File.ReadAllText($"{_sysfs}/sim_gpio{line}/value").Trim());

    /// <summary>The button wired to ground (active low): pressed pulls the line down.</summary>
    public void Press(int line) => File.WriteAllText($"{_sysfs}/sim_gpio{line}/pull", "pull-down");

    public void Release(int line) => File.WriteAllText($"{_sysfs}/sim_gpio{line}/pull", "pull-up");

    public string Pull(int line) => File.ReadAllText($"{_sysfs}/sim_gpio{line}/pull").Trim();

    public void Dispose()
    {
        try
        {
            File.WriteAllText(Path.Combine(_device, "live"), "0");
            var bank = Path.Combine(_device, "bank0");
            foreach (var line in Directory.GetDirectories(bank)) Directory.Delete(line);
            Directory.Delete(bank);
            Directory.Delete(_device);
        }
        catch (IOException) { } // the VM is thrown away after the run anyway
    }
}
