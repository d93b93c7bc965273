using System.Reflection;

namespace Appliance;

/// <summary>Version and build identity, stamped by the build (Version, SourceRevisionId).</summary>
public static class AppInfo
{
    public const string Name = "camera-appliance";

    private static readonly string Informational =
        typeof(AppInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Semantic version without the build metadata.</summary>
    public static string Version => Informational.Split('+')[0];

    /// <summary>The git revision the binary was built from, or "unknown".</summary>
    public static string GitRevision => Informational.Contains('+') ? Informational[(Informational.IndexOf('+') + 1)..] : "unknown";

    public static readonly DateTimeOffset StartedAt = DateTimeOffset.UtcNow;

    public static TimeSpan Uptime => DateTimeOffset.UtcNow - StartedAt;
}
