using System.Diagnostics;

namespace Appliance.Tests.Vm;

/// <summary>
/// Tests in category "Vm" need real kernel devices: they run inside the QEMU VM that
/// tests/vm/run-in-vm.sh boots (Debian's kernel with vivid and gpio-sim), started by
/// `build.ps1 vm-test` (part of `build.ps1 test` and CI). Outside it they fail loudly instead of skipping.
/// </summary>
public static class VmEnvironment
{
    public static void Require()
    {
        Assert.That(Environment.GetEnvironmentVariable("APPLIANCE_VM_TEST"), Is.EqualTo("1"),
            "this test needs the VM with real V4L2/GPIO devices: run `dotnet pwsh ./build.ps1 vm-test`");
    }

    /// <summary>Where measurements go so the host can print them (tests/vm/run-in-vm.sh shares the repo).</summary>
    public static void Record(string line)
    {
        var dir = Environment.GetEnvironmentVariable("APPLIANCE_VM_RESULTS");
        TestContext.Out.WriteLine(line);
        if (dir is null) return;
        Directory.CreateDirectory(dir);
        File.AppendAllText(Path.Combine(dir, "measurements.txt"), line + "\n");
    }

    /// <summary>
    /// FFmpeg timeouts for the VM: without KVM the guest is emulated instruction by instruction (TCG),
    /// and FFmpeg alone takes seconds to load its libraries there, past the appliance's defaults (made
    /// for a real board) for the first output of a snapshot or recording. Appended to a test config.
    /// </summary>
    public const string SlowFfmpeg = """

        [ffmpeg]
        snapshot_process_creation_timeout = 60
        snapshot_execution_timeout = 90
        recording_process_creation_timeout = 60
        recording_execution_timeout = 90

        """;

    /// <summary>[mediamtx] keys for the same reason: the on-demand publisher encodes H.264 with libx264,
    /// which under TCG takes far longer than on a board to deliver its first frames.</summary>
    public const string SlowPublisher = "stream_readiness_timeout = 60";

    /// <summary>The stand-in's relay start bound for the VM: Python importing GStreamer alone takes
    /// 15-30 s in the TCG guest when the host is busy (the stand-in's default is 15 s).</summary>
    public static readonly TimeSpan RelayStartTimeout = TimeSpan.FromSeconds(120);

    public static void WriteSysfs(string path, string value) => File.WriteAllText(path, value);

    // The VM's HOME is a fresh tmpfs, so GStreamer rebuilds its plugin registry on the relay's first
    // start; under TCG emulation that can take longer than the stand-in's 15 s start timeout. Build it
    // once, with time to spare, where the relay (a child of this process) finds it (later calls reuse it).
    // It is kept in the shared results directory, so the next VM boot (build.ps1 vm-test boots twice)
    // and the next run reuse it: building it takes 1.5-2 min in the guest. GStreamer checks it against
    // the plugin files on every start and rebuilds what changed, so a kept one is never stale.
    public static void WarmUpGStreamer()
    {
        var results = Environment.GetEnvironmentVariable("APPLIANCE_VM_RESULTS");
        var registry = results is null ? "/tmp/appliance-vm-gst-registry.bin" : Path.Combine(results, "gst-registry.bin");
        Environment.SetEnvironmentVariable("GST_REGISTRY", registry);
        if (File.Exists(registry)) return;
        var sw = Stopwatch.StartNew();
        using var python = Process.Start("/usr/bin/python3",
            ["-c", "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None)"])!;
        Assert.That(python.WaitForExit(TimeSpan.FromSeconds(180)), Is.True, "GStreamer initialises");
        Assert.That(python.ExitCode, Is.Zero, "GStreamer initialises");
        Record($"GStreamer registry built in {sw.Elapsed.TotalSeconds:F1} s (TCG-emulated VM)");
    }
}
