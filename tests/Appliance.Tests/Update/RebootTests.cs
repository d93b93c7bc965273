using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Update;

/// <summary>
/// The admin method reboot over a real WebSocket against the real host. The reboot command is a
/// stand-in script (a real process) that records its arguments instead of rebooting this machine;
/// the real one is `systemctl reboot` (update.reboot_command), which cannot be run here.
/// </summary>
[NonParallelizable]
public sealed class RebootTests
{
    private static async Task<RunningHost> StartAsync(TestDirectory scripts, string command) =>
        await RunningHost.StartAsync(extraToml: $"""

            [update]
            reboot_command = "{command}"
            """);

    private static string StandIn(TestDirectory dir, int exitCode = 0)
    {
        var script = dir.Write("fake-systemctl", $"#!/bin/sh\necho \"$@\" >> '{dir.File("calls")}'\nexit {exitCode}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static async Task<string[]> CallsAsync(TestDirectory dir, int atLeast, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (File.Exists(dir.File("calls")) && File.ReadAllLines(dir.File("calls")) is { Length: var n } lines && n >= atLeast) return lines;
            await Task.Delay(50);
        }
        return File.Exists(dir.File("calls")) ? File.ReadAllLines(dir.File("calls")) : [];
    }

    [Test]
    public async Task RebootAnswersFirstThenRunsTheCommandOnce()
    {
        using var dir = new TestDirectory();
        await using var host = await StartAsync(dir, StandIn(dir) + " reboot");
        await using var admin = await host.ConnectAsync(Role.Admin);

        using var reply = await admin.CallAsync("reboot", """{"delay":1}""");
        var result = reply.RootElement.GetProperty("result");
        Assert.That(result.GetProperty("rebooting").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("command").GetString(), Does.EndWith("fake-systemctl reboot"));
        var at = DateTimeOffset.Parse(result.GetProperty("at").GetString()!);
        Assert.That(at - DateTimeOffset.UtcNow, Is.GreaterThan(TimeSpan.FromMilliseconds(200)).And.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(File.Exists(dir.File("calls")), Is.False, "not run before the reply");

        // A second request while one is scheduled gets the same schedule, not a second reboot.
        using var again = await admin.CallAsync("reboot", """{"delay":1}""");
        Assert.That(again.RootElement.GetProperty("result").GetProperty("at").GetString(), Is.EqualTo(result.GetProperty("at").GetString()));

        Assert.That(await CallsAsync(dir, 1, TimeSpan.FromSeconds(5)), Is.EqualTo(new[] { "reboot" }));
        await Task.Delay(500);
        Assert.That(await CallsAsync(dir, 2, TimeSpan.Zero), Has.Length.EqualTo(1), "run once");
    }

    [Test]
    public async Task AFailedRebootCanBeRequestedAgain()
    {
        using var dir = new TestDirectory();
        await using var host = await StartAsync(dir, StandIn(dir, exitCode: 1) + " reboot");
        await using var admin = await host.ConnectAsync(Role.Admin);
        (await admin.CallAsync("reboot", """{"delay":1}""")).Dispose();
        Assert.That(await CallsAsync(dir, 1, TimeSpan.FromSeconds(5)), Has.Length.EqualTo(1));
        await Task.Delay(300); // the failure is handled after the command exits
        (await admin.CallAsync("reboot", """{"delay":1}""")).Dispose();
        Assert.That(await CallsAsync(dir, 2, TimeSpan.FromSeconds(5)), Has.Length.EqualTo(2));
    }

    [TestCase("""{"delay":0}""", -32602)]
    [TestCase("""{"delay":301}""", -32602)]
    [TestCase("""{"delay":"soon"}""", -32602)]
    public async Task BadDelaysAreRefusedNamingTheField(string @params, int code)
    {
        using var dir = new TestDirectory();
        await using var host = await StartAsync(dir, StandIn(dir));
        await using var admin = await host.ConnectAsync(Role.Admin);
        using var reply = await admin.CallAsync("reboot", @params);
        var error = reply.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(code));
        Assert.That(error.GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("delay"));
        Assert.That(File.Exists(dir.File("calls")), Is.False);
    }

    [Test]
    public async Task AMissingCommandIsNotSupportedAndOnlyAdminsMayReboot()
    {
        using var dir = new TestDirectory();
        await using var host = await StartAsync(dir, dir.File("no-such-systemctl") + " reboot");
        await using var admin = await host.ConnectAsync(Role.Admin);
        using var missing = await admin.CallAsync("reboot");
        Assert.That(missing.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32008));
        Assert.That(missing.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("no-such-systemctl"));

        await using var op = await host.ConnectAsync(Role.Operator);
        using var denied = await op.CallAsync("reboot");
        Assert.That(denied.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
    }
}
