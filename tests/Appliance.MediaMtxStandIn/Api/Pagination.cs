using System.Globalization;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>MediaMTX's paginate(): itemsPerPage (default 100) and page (default 0) are parsed
/// with strconv.ParseUint(s, 10, 31); itemsPerPage 0 is refused; pageCount is 0 for no items.</summary>
internal static class Pagination
{
    public static bool TryPage<T>(List<T> items, string itemsPerPageText, string pageText, out List<T> page, out int pageCount, out string? error)
    {
        page = items;
        pageCount = 0;
        var itemsPerPage = 100L;
        var pageIndex = 0L;
        if (itemsPerPageText.Length > 0 && !TryParseUint31(itemsPerPageText, out itemsPerPage, out error)) return false;
        if (itemsPerPageText.Length > 0 && itemsPerPage == 0)
        {
            error = "invalid items per page";
            return false;
        }
        if (pageText.Length > 0 && !TryParseUint31(pageText, out pageIndex, out error)) return false;
        error = null;
        if (items.Count == 0) return true;

        pageCount = (int)((items.Count + itemsPerPage - 1) / itemsPerPage);
        var first = (int)Math.Min(pageIndex * itemsPerPage, items.Count);
        var end = (int)Math.Min((pageIndex + 1) * itemsPerPage, items.Count);
        page = items.GetRange(first, end - first);
        return true;
    }

    // Go: strconv.ParseUint(s, 10, 31) — digits only, at most 2^31-1, with Go's error texts.
    private static bool TryParseUint31(string text, out long value, out string? error)
    {
        value = 0;
        error = null;
        if (text.All(char.IsAsciiDigit) && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            if (parsed <= int.MaxValue)
            {
                value = (long)parsed;
                return true;
            }
            error = $"strconv.ParseUint: parsing \"{text}\": value out of range";
            return false;
        }
        error = text.All(char.IsAsciiDigit)
            ? $"strconv.ParseUint: parsing \"{text}\": value out of range"
            : $"strconv.ParseUint: parsing \"{text}\": invalid syntax";
        return false;
    }
}
