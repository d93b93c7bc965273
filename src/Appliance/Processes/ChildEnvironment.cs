using System.Diagnostics;

namespace Appliance.Processes;

/// <summary>
/// What a child process (ffmpeg, ffprobe, rauc, the reboot command) inherits. The service's own
/// settings can arrive as <c>APPLIANCE_*</c> variables — the JWT secret among them — and systemd
/// hands it NOTIFY_SOCKET and WATCHDOG_*; none of that is any child's business, and a child's
/// environment is readable by anything that can read its /proc entry.
/// </summary>
public static class ChildEnvironment
{
    private static readonly string[] Inherited = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"];

    public static void Scrub(ProcessStartInfo psi)
    {
        foreach (var name in psi.Environment.Keys.ToList())
            if (name.StartsWith("APPLIANCE_", StringComparison.Ordinal) || Inherited.Contains(name, StringComparer.Ordinal))
                psi.Environment.Remove(name);
    }
}
