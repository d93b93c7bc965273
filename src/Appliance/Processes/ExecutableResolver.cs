namespace Appliance.Processes;

/// <summary>
/// Turns a configured program (<c>ffmpeg.path</c>: "ffmpeg" or "/usr/bin/ffmpeg"; <c>update.rauc_path</c>, ...) into an absolute, executable path
/// before anything is started. Resolving it ourselves gives a clear "not found" error up front
/// (setsid would only print "failed to execute" and exit 127), and puts the absolute path in
/// argv[0], which is what the crash-recovery registry later matches /proc/&lt;pid&gt;/cmdline against.
/// </summary>
public static class ExecutableResolver
{
    /// <summary>The absolute path, or null when there is no such executable.</summary>
    public static string? Resolve(string program)
    {
        if (string.IsNullOrWhiteSpace(program)) return null;
        if (program.Contains('/'))
        {
            var full = Path.GetFullPath(program);
            return IsExecutableFile(full) ? full : null;
        }
        var path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path)) path = "/usr/local/bin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (IsExecutableFile(candidate)) return Path.GetFullPath(candidate);
        }
        return null;
    }

    private static bool IsExecutableFile(string path) => File.Exists(path) && ProcessInterop.IsExecutable(path);
}
