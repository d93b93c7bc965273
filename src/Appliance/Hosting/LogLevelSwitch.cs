using Microsoft.Extensions.Logging;

namespace Appliance.Hosting;

/// <summary>The minimum log level, changeable at run time (logging.level reloads live).</summary>
public sealed class LogLevelSwitch(LogLevel level)
{
    private volatile int _level = (int)level;

    public LogLevel Level
    {
        get => (LogLevel)_level;
        set => _level = (int)value;
    }

    public bool Allows(string? category, LogLevel level)
    {
        var min = Level;
        // Framework chatter (Kestrel, hosting) only from warning up unless we are debugging.
        if (min > LogLevel.Debug && category is not null && category.StartsWith("Microsoft.", StringComparison.Ordinal))
            min = (LogLevel)Math.Max((int)min, (int)LogLevel.Warning);
        return level >= min;
    }

    public static LogLevel Parse(string text) => text switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => LogLevel.Information,
    };
}
