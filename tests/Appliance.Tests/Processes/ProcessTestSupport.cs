using System.Diagnostics;
using System.Globalization;
using Appliance.Configuration;
using Appliance.Processes;
using Appliance.Tests.Support;

namespace Appliance.Tests.Processes;

/// <summary>
/// Shared by the process-layer tests: a temp directory for scripts and state, short stop timeouts,
/// and the checks that nothing is left behind. Every test ends by asserting that this test
/// process has no zombie children (each exited child was reaped).
/// </summary>
public abstract class ProcessTestBase
{
    protected TestDirectory Dir { get; private set; } = null!;

    [SetUp]
    public void CreateDirectory() => Dir = new TestDirectory();

    [TearDown]
    public void NoZombiesAndCleanUp()
    {
        try
        {
            // Reaping happens on the runtime's SIGCHLD handling, a moment after the exit.
            var zombies = Eventually(() => ZombieChildren().Count == 0, TimeSpan.FromSeconds(3)) ? [] : ZombieChildren();
            Assert.That(zombies, Is.Empty, "zombie children of the test process");
        }
        finally
        {
            Dir.Dispose();
        }
    }

    /// <summary>FFmpeg stop timeouts short enough for tests (seconds).</summary>
    protected static FfmpegSection Settings(double termination = 0.3, double kill = 0.3) =>
        new() { ProcessTerminationTimeout = termination, ProcessKillTimeout = kill };

    /// <summary>The FFmpeg-style ladder ('q', SIGTERM, SIGKILL) with short graces (seconds).</summary>
    protected static ChildProcessOptions Quitting(double quit = 0.3, double terminate = 0.3) => new()
    {
        Stop = () => new StopLadder
        {
            QuitInput = "q"u8.ToArray(),
            QuitGrace = TimeSpan.FromSeconds(quit),
            Terminate = true,
            TerminateGrace = TimeSpan.FromSeconds(terminate),
        },
    };

    /// <summary>Writes an executable /bin/sh script; it runs directly, through its shebang.</summary>
    protected string Script(string name, string body)
    {
        var path = Dir.Write(name, "#!/bin/sh\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Waits for a file a script writes its background child's PID into.</summary>
    protected static int ReadPidFile(string path)
    {
        Assert.That(Eventually(() => File.Exists(path) && File.ReadAllText(path).Trim().Length > 0, TimeSpan.FromSeconds(5)), Is.True, $"{path} never written");
        return int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Our own child: exited AND reaped, so /proc/&lt;pid&gt; is gone.</summary>
    protected static void AssertGone(int pid) =>
        Assert.That(Eventually(() => !Directory.Exists($"/proc/{pid}"), TimeSpan.FromSeconds(3)), Is.True, $"/proc/{pid} still exists");

    /// <summary>
    /// A grandchild: dead. When its parent (our child) dies first it is re-parented to init, and
    /// reaping it is init's job; this sandbox's init does not reap, so a dead grandchild may
    /// linger as init's zombie. Dead either way, and not ours (our zombies fail the teardown).
    /// </summary>
    protected static void AssertDead(int pid) =>
        Assert.That(Eventually(() => !ProcFs.IsAlive(pid), TimeSpan.FromSeconds(3)), Is.True, $"pid {pid} still alive");

    /// <summary>Polls a condition; true as soon as it holds, false if it never did within the time.</summary>
    protected static bool Eventually(Func<bool> condition, TimeSpan within)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(within.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    /// <summary>Waits until the child has exec'd its program (until then it is still setsid).</summary>
    protected static void WaitForExec(ChildProcess process) =>
        Assert.That(Eventually(() => ProcFs.ReadCommandLine(process.Pid) is [var argv0, ..] && argv0 == process.Program, TimeSpan.FromSeconds(5)), Is.True,
            $"pid {process.Pid} never exec'd {process.Program}");

    private static List<int> ZombieChildren()
    {
        var me = Environment.ProcessId;
        var zombies = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            if (ProcFs.TryReadStat(pid, out var stat) && stat.ParentPid == me && stat.State == 'Z') zombies.Add(pid);
        }
        return zombies;
    }
}
