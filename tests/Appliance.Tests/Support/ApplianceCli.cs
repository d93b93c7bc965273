using System.Diagnostics;

namespace Appliance.Tests.Support;

/// <summary>The real program (appliance.dll, as built) run as a child process, the way a technician
/// or a systemd unit runs it; none of the test runner's APPLIANCE_* variables reach it.</summary>
public static class ApplianceCli
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "appliance.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("APPLIANCE_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(k);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(true); Assert.Fail("the CLI hung"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
