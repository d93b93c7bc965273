using System.Text.Json;

namespace Appliance.Rpc;

/// <summary>
/// JSON may carry an escaped lone surrogate (<c>"\udc00"</c>): valid JSON, but no text. Reading it
/// as a string throws, so params holding one are refused up front with -32602 naming the member,
/// and no handler ever meets such a string. Only called when the message holds a \u escape at all.
/// </summary>
internal static class ParamsText
{
    /// <summary>The dotted name of the first member whose name or text is not valid Unicode, or null.</summary>
    public static string? FirstInvalid(JsonElement element, string path = "params", int depth = 0)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(element) ? null : path;
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    string name;
                    try { name = member.Name; }
                    catch (InvalidOperationException) { return path; }
                    var child = depth == 0 ? name : path + "." + name;
                    if (FirstInvalid(member.Value, child, depth + 1) is { } bad) return bad;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstInvalid(item, $"{path}[{i}]", depth + 1) is { } bad) return bad;
                    i++;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsText(JsonElement element)
    {
        try
        {
            element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
