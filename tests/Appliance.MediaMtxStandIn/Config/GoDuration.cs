using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.Testing.MediaMtx.Config;

/// <summary>Go's time.ParseDuration, which MediaMTX uses for "10s", "1m30s", "200ms"...</summary>
internal static partial class GoDuration
{
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"time: invalid duration \"{text}\"");

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text is "0" or "+0" or "-0") return true;
        var match = DurationPattern().Match(text);
        if (!match.Success) return false;
        double nanoseconds = 0;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unitStart = part.Value.IndexOfAny("numµμsmh".ToCharArray());
            var number = part.Value[..unitStart];
            if (number is "" or ".") return false;
            nanoseconds += double.Parse(number, CultureInfo.InvariantCulture) * Unit(part.Value[unitStart..]);
        }
        value = TimeSpan.FromTicks((long)(nanoseconds / 100) * (match.Groups["sign"].Value == "-" ? -1 : 1));
        return true;
    }

    private static double Unit(string unit) => unit switch
    {
        "ns" => 1,
        "us" or "µs" or "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => throw new FormatException($"time: unknown unit \"{unit}\""),
    };

    [GeneratedRegex(@"^(?<sign>[-+]?)(?<part>[0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+$")]
    private static partial Regex DurationPattern();
}
