using Appliance.Processes;

namespace Appliance.Hosting.Composition;

/// <summary>Child processes (FFmpeg, ffprobe, rauc, reboot): one runner, every child recorded so that a
/// crash leaves no orphan; what the last run left is reaped before anything starts a new one.</summary>
internal sealed record ProcessesParts(ChildProcessRegistry Children, ProcessRunner Runner)
{
    public static ProcessesParts Add(HostContext host)
    {
        var children = new ChildProcessRegistry(host.StateDir, host.Log<ChildProcessRegistry>());
        children.ReapLeftovers(TimeSpan.FromSeconds(host.Config.Current.Ffmpeg.ProcessKillTimeout));
        return new ProcessesParts(children, new ProcessRunner(children, host.Log<ProcessRunner>()));
    }
}
