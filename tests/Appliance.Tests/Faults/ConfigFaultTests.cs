using System.Net;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Faults;

/// <summary>
/// A corrupt config file. Already covered piecewise elsewhere, and not repeated here:
/// the loader's syntax-error line (Configuration/ConfigLoaderTests.SyntaxErrorReportsTheLine),
/// ConfigStore keeping the running config on an invalid reload and the file watcher
/// (Configuration/ConfigStoreTests.InvalidEditIsRejectedAndTheRunningConfigKept,
/// EditingTheFileOnDiskReloadsIt), the "config" health component failing on a rejected edit
/// (Gpio/GpioServiceTests.NoCameraIsDegradedAndAFailedComponentOrARejectedConfigIsAnError), and
/// --check-config exiting 1 with file:line: key for each problem
/// (Hosting/CommandLineTests.CheckConfigExitsZeroForAValidFileAndOneWithEveryProblemListed).
/// What no test did end to end: a syntax error saved into the file of a RUNNING service, and
/// starting the service itself (not --check-config) on a broken file.
/// </summary>
[NonParallelizable]
public class ConfigFaultTests
{
    [Test]
    public async Task ASyntaxErrorSavedWhileRunningIsRejectedTheServiceKeepsServingAndSaysConfigFailed()
    {
        await using var host = await RunningHost.StartAsync();
        await using var client = await host.ConnectAsync(Role.Admin);
        Assert.That(await ConfigComponentAsync(client), Is.EqualTo("running"));
        var good = await File.ReadAllTextAsync(host.ConfigPath);
        var warnPercent = host.Host.Config.Current.Storage.WarnPercent;
        var edited = good.Replace("state_dir = \"state\"", $"state_dir = \"state\"\nwarn_percent = {warnPercent - 5}");
        Assert.That(edited, Is.Not.EqualTo(good));

        // A live key changed and, further down, a line that is not TOML.
        var broken = edited + "\n[recording\n";
        var line = broken.Split('\n').Length - 1;
        await File.WriteAllTextAsync(host.ConfigPath, broken);

        await Poll.UntilAsync(async () => await ConfigComponentAsync(client) == "failed", "get_status says the config failed", 15);
        var status = await ResultAsync(client, "get_status");
        Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("unhealthy"));
        var detail = status.GetProperty("component_details").GetProperty("config").GetString();
        Assert.That(detail, Does.Contain("edit rejected").And.Contain($":{line}: (syntax)"), detail);
        Assert.That(host.Host.Config.Current.Storage.WarnPercent, Is.EqualTo(warnPercent), "the running config is kept: nothing of the broken edit applied");

        // Still serving: the API, and the health endpoint (ready, with the config component failed).
        Assert.That((await ResultAsync(client, "ping")).GetString(), Is.EqualTo("pong"));
        Assert.That((await ResultAsync(client, "get_camera_list")).GetProperty("total").GetInt32(), Is.GreaterThanOrEqualTo(0));
        await using (var another = await host.ConnectAsync(Role.Viewer))
            Assert.That((await ResultAsync(another, "ping")).GetString(), Is.EqualTo("pong"), "new connections are served too");
        using (var http = new HttpClient { BaseAddress = host.HttpUri })
        {
            using var ready = await http.GetAsync("/health/ready");
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.That(body.RootElement.GetProperty("components").GetProperty("config").GetString(), Is.EqualTo("failed"));
        }

        // The file is fixed: the edit applies and the component runs again.
        await File.WriteAllTextAsync(host.ConfigPath, edited);
        await Poll.UntilAsync(async () => await ConfigComponentAsync(client) == "running", "get_status says the config runs again", 15);
        Assert.That(host.Host.Config.Current.Storage.WarnPercent, Is.EqualTo(warnPercent - 5));
    }

    [Test]
    public void StartingOnABrokenFileExitsOneNamingTheLineAndTheKey()
    {
        using var dir = new TestDirectory();
        const string head = "[server]\nenvironment = \"production\"\nport = 8002\n[security]\njwt_secret = \"config-fault-secret-0123456789abcdef0123\"\n";

        // Not TOML at line 7.
        var syntax = dir.Write("syntax.toml", head + "[storage]\nmin_free_mb = = 5\n");
        var (code, _, err) = ApplianceCli.Run("--config", syntax);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(err, Does.Contain("syntax.toml:7: (syntax)"), err);

        // TOML, but a value of the wrong kind at line 7: the key is named.
        var kind = dir.Write("kind.toml", head + "[storage]\nmin_free_mb = \"lots\"\n");
        (code, _, err) = ApplianceCli.Run("--config", kind);
        Assert.That(code, Is.EqualTo(1), err);
        Assert.That(err, Does.Contain("kind.toml:7: storage.min_free_mb"), err);
    }

    private static async Task<JsonElement> ResultAsync(RpcTestClient client, string method)
    {
        using var reply = await client.CallAsync(method);
        return reply.RootElement.TryGetProperty("result", out var r) ? r.Clone() : throw new AssertionException(reply.RootElement.ToString());
    }

    private static async Task<string?> ConfigComponentAsync(RpcTestClient client) =>
        (await ResultAsync(client, "get_status")).GetProperty("components").TryGetProperty("config", out var c) ? c.GetString() : null;
}
