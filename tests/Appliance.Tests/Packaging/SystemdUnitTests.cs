using System.Diagnostics;
using Appliance.Tests.Support;

namespace Appliance.Tests.Packaging;

/// <summary>
/// The unit files checked by Debian's own systemd: `systemd-analyze verify` on a root staged like the
/// image (the executables the units name exist there; systemd's own units are copied from this
/// machine so the dependencies resolve), and `systemd-analyze security --offline` for the sandbox.
/// </summary>
public class SystemdUnitTests
{
    // systemd-analyze's threshold is the exposure times 10: 20 = "2.0", well inside "OK".
    private const int MaxExposureTimesTen = 20;

    [Test]
    public void EveryUnitPassesSystemdAnalyzeVerify()
    {
        using var root = StageRoot();
        var units = PackagingFiles.Units.Select(u => root.File("usr/lib/systemd/system/" + System.IO.Path.GetFileName(u))).ToArray();
        Assert.That(units, Has.Length.GreaterThanOrEqualTo(3));
        var (code, output) = Analyze(["verify", "--man=no", "--root=" + root.Path, .. units]);
        Assert.That(output, Is.Empty, "systemd-analyze verify printed problems");
        Assert.That(code, Is.EqualTo(0));
    }

    [Test]
    public void TheVerifyCheckCatchesAMistake()
    {
        using var root = StageRoot();
        var unit = root.File("usr/lib/systemd/system/appliance.service");
        File.WriteAllText(unit, File.ReadAllText(unit).Replace("ProtectSystem=strict", "ProtectSytem=strict").Replace("/usr/bin/appliance", "/usr/bin/no-such-binary"));
        var (code, output) = Analyze(["verify", "--man=no", "--root=" + root.Path, unit]);
        Assert.That(output, Does.Contain("ProtectSytem"));
        Assert.That(code, Is.Not.EqualTo(0), output);
    }

    [TestCase("appliance.service")]
    [TestCase("mediamtx.service")]
    [TestCase("appliance-secret.service")]
    [TestCase("appliance-tls.service")]
    public void TheSandboxKeepsTheExposureLow(string unit)
    {
        using var root = StageRoot();
        var (code, output) = Analyze(["security", "--offline=true", $"--threshold={MaxExposureTimesTen}", "--root=" + root.Path, unit]);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Match(@"Overall exposure level for " + unit.Replace(".", @"\.") + @": [0-2]\.\d"));
    }

    private static TestDirectory StageRoot()
    {
        var root = new TestDirectory();
        var system = root.File("usr/lib/systemd/system");
        Directory.CreateDirectory(system);
        foreach (var unit in Directory.GetFiles("/usr/lib/systemd/system"))
            if (!Directory.Exists(unit)) File.Copy(unit, System.IO.Path.Combine(system, System.IO.Path.GetFileName(unit)), overwrite: true);
        foreach (var unit in PackagingFiles.Units) File.Copy(unit, System.IO.Path.Combine(system, System.IO.Path.GetFileName(unit)), overwrite: true);
        // The image's executables, as stand-ins that only need to exist and be executable.
        foreach (var exe in new[] { "usr/bin/appliance", "usr/bin/mediamtx", "bin/sh", "usr/bin/sh" })
        {
            var path = root.File(exe);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            File.WriteAllText(path, "#!/bin/sh\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        }
        return root;
    }

    private static (int Code, string Output) Analyze(string[] args)
    {
        const string tool = "/usr/bin/systemd-analyze";
        if (!File.Exists(tool)) Assert.Fail("systemd-analyze is missing: install Debian's systemd package (build.ps1 deps)");
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["SYSTEMD_COLORS"] = "0";
        psi.Environment["SYSTEMD_LOG_COLOR"] = "0";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); Assert.Fail("systemd-analyze hung"); }
        return (p.ExitCode, (stdout.Result + stderr.Result).Trim());
    }
}
