using System.Reflection;
using Appliance.Configuration;
using Tomlyn;

namespace Appliance.Gpio;

/// <summary>A pin map that cannot be used; the message says which file, line and key.</summary>
public sealed class PinMapException(string message) : Exception(message);

/// <summary>
/// Reads board/&lt;board&gt;/pins.toml. A file next to the config (/etc/appliance/board/rpi4/pins.toml)
/// wins, so a site can rewire without a new image; otherwise the map built into the binary is used
/// (the repository's board/ folders are embedded at build time).
/// </summary>
public static class PinMapLoader
{
    private static readonly HashSet<string> KnownKeys = BuildKnownKeys();

    public static PinMap Load(string board, string? configPath)
    {
        if (board.Length == 0 || board.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new PinMapException($"gpio.board = \"{board}\": not a board name");
        if (configPath is not null)
        {
            var local = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, "board", board, "pins.toml");
            if (File.Exists(local)) return Parse(File.ReadAllText(local), local, board);
        }
        var name = $"board/{board}/pins.toml";
        using var stream = typeof(PinMapLoader).Assembly.GetManifestResourceStream(name)
            ?? throw new PinMapException($"no pin map for board \"{board}\" (built in: {string.Join(", ", BuiltInBoards())})");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), $"(built in) {name}", board);
    }

    public static IEnumerable<string> BuiltInBoards() =>
        typeof(PinMapLoader).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("board/", StringComparison.Ordinal) && n.EndsWith("/pins.toml", StringComparison.Ordinal))
            .Select(n => n["board/".Length..^"/pins.toml".Length]).Order(StringComparer.Ordinal);

    public static PinMap Parse(string text, string source, string expectedBoard)
    {
        TomlKeyIndex index;
        PinMapFile file;
        try
        {
            index = TomlKeyIndex.Parse(text, source);
            file = TomlSerializer.Deserialize<PinMapFile>(text, PinMapTomlContext.Default) ?? new PinMapFile();
        }
        catch (TomlException ex)
        {
            throw new PinMapException($"{source}: {ex.Message}");
        }
        var problems = new List<string>();
        // A table given twice ([status_led] ... [status_led]) is invalid TOML, though the deserializer merged the two.
        foreach (var twice in index.Redefinitions)
            problems.Add($"{source}:{twice.Line}: {twice.Path}: {twice.Message}");
        // The deserializer ignores unknown keys; a typo ("activelow") must not silently flip an LED.
        foreach (var e in index.Entries.Where(e => !KnownKeys.Contains(e.Path)).OrderBy(e => e.Line))
            problems.Add($"{source}:{e.Line}: {e.Path}: unknown key");
        if (index.Redefinitions.Count > 0) throw new PinMapException(string.Join("\n", problems));
        if (file.Board != expectedBoard)
            problems.Add($"{source}: board = \"{file.Board}\": this file is for another board than \"{expectedBoard}\"");

        var pins = new List<PinAssignment>();
        foreach (var role in Enum.GetValues<PinRole>())
        {
            var pin = role switch
            {
                PinRole.StatusLed => file.StatusLed,
                PinRole.RecordingLed => file.RecordingLed,
                PinRole.ActivityLed => file.ActivityLed,
                _ => file.SnapshotButton,
            };
            if (pin is null) continue;
            var key = PinMap.KeyOf(role);
            var at = $"{source}:{index.LineOf(key)}: {key}";
            if (string.IsNullOrWhiteSpace(pin.Chip)) problems.Add($"{at}.chip: the gpiochip's label is required (e.g. \"pinctrl-bcm2711\")");
            if (pin.Line is < 0 or > 1023) problems.Add($"{at}.line = {pin.Line}: must be a line offset from 0 to 1023");
            PinBias? bias = pin.Bias switch { "none" => PinBias.None, "pull-up" => PinBias.PullUp, "pull-down" => PinBias.PullDown, _ => null };
            if (bias is null) problems.Add($"{at}.bias = \"{pin.Bias}\": must be \"pull-up\", \"pull-down\" or \"none\"");
            else if (bias != PinBias.None && role != PinRole.SnapshotButton) problems.Add($"{at}.bias: only an input (the button) has a pull resistor");
            pins.Add(new PinAssignment(role, pin.Chip, pin.Line, pin.ActiveLow, bias ?? PinBias.None));
        }
        foreach (var twice in pins.GroupBy(p => (p.ChipLabel, p.Line)).Where(g => g.Count() > 1))
            problems.Add($"{source}: {string.Join(" and ", twice.Select(p => PinMap.KeyOf(p.Role)))} share {twice.Key.ChipLabel} line {twice.Key.Line}");
        if (problems.Count > 0) throw new PinMapException(string.Join("\n", problems));
        return new PinMap(file.Board, file.Description, source, pins);
    }

    private static HashSet<string> BuildKnownKeys()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal) { "board", "description" };
        foreach (var role in Enum.GetValues<PinRole>())
        {
            var table = PinMap.KeyOf(role);
            keys.Add(table);
            foreach (var k in new[] { "chip", "line", "active_low", "bias" }) keys.Add($"{table}.{k}");
        }
        return keys;
    }
}
