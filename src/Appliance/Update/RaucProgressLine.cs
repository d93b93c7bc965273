using System.Globalization;

namespace Appliance.Update;

/// <summary>
/// One progress line of <c>rauc install</c>. RAUC prints each progress step as
/// <c>printf("%3d%% %s\n", percentage, message)</c>: <c>"  0% Installing"</c>, <c>" 20% Checking bundle"</c>,
/// <c>"100% Installing done."</c>. Its other lines (operation names, <c>LastError: ...</c>, the final
/// <c>Installing `...` succeeded</c>) are not progress.
/// </summary>
public readonly record struct RaucProgressLine(int Percent, string Message)
{
    public static bool TryParse(string line, out RaucProgressLine progress)
    {
        progress = default;
        var s = line.AsSpan().TrimStart(' ');
        var digits = 0;
        while (digits < s.Length && digits < 3 && char.IsAsciiDigit(s[digits])) digits++;
        if (digits == 0 || digits >= s.Length || s[digits] != '%') return false;
        var percent = int.Parse(s[..digits], NumberStyles.None, CultureInfo.InvariantCulture);
        if (percent > 100) return false;
        progress = new RaucProgressLine(percent, s[(digits + 1)..].Trim().ToString());
        return true;
    }
}
