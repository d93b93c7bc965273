namespace Appliance.Configuration;

/// <summary>One thing wrong with a configuration: which key, what value, why, and where it came from.</summary>
/// <param name="Source">The file (or "environment variable APPLIANCE_X") the value came from.</param>
public sealed record ConfigProblem(string Key, string? Value, string Message, string Source, int? Line)
{
    public override string ToString()
    {
        var where = Line is { } l ? $"{Source}:{l}" : Source;
        var what = Value is null ? Key : $"{Key} = {Value}";
        return $"{where}: {what}: {Message}";
    }
}
