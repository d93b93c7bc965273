using System.Text.Json;
using Appliance.Hosting;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Update;

/// <summary>
/// get_update_status and install_update over a real WebSocket against the real host, with the rauc
/// stand-in (a real process) as update.rauc_path. There is no MediaMTX in these tests, so the host never
/// becomes healthy and the booted slot stays pending: the gate itself is tested in MarkGoodGateTests.
/// </summary>
[NonParallelizable]
public sealed class UpdateApiTests
{
    private RaucStandIn _rauc = null!;
    private RunningHost _host = null!;
    private string _bundle = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _rauc = new RaucStandIn();
        _host = await RunningHost.StartAsync(extraToml: $"""

            [gpio]
            enabled = false
            board = "rpi4"

            [update]
            enabled = true
            rauc_path = "{_rauc.Path}"
            healthy_after = 5
            """);
        _bundle = Path.Combine(_host.DataDir, "update-2.1.0.raucb");
        File.WriteAllText(_bundle, "not really a bundle, but the stand-in does not look");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _host.DisposeAsync();
        _rauc.Dispose();
    }

    [SetUp]
    public void ResetInstall() => _rauc.SetInstall(["  0% Installing", " 20% Checking bundle", " 40% Checking bundle done.", " 80% Copying image to rootfs.0",
        "100% Installing done.", $"Installing `{_bundle}` succeeded"], exitCode: 0);

    private static JsonElement Result(JsonDocument d) =>
        d.RootElement.TryGetProperty("result", out var r) ? r.Clone() : throw new AssertionException("no result: " + d.RootElement);

    private static (int Code, string Message, string? Field) Error(JsonDocument d)
    {
        if (!d.RootElement.TryGetProperty("error", out var e)) throw new AssertionException("no error: " + d.RootElement);
        var field = e.TryGetProperty("data", out var data) && data.TryGetProperty("field", out var f) ? f.GetString() : null;
        return (e.GetProperty("code").GetInt32(), e.GetProperty("message").GetString()!, field);
    }

    private static async Task<JsonElement> StatusAsync(RpcTestClient c)
    {
        using var reply = await c.CallAsync("get_update_status");
        return Result(reply);
    }

    private static List<JsonElement> UpdateProgress(RpcTestClient c) =>
        [.. c.Notifications.Where(n => n.RootElement.GetProperty("method").GetString() == "update_progress").Select(n => n.RootElement.GetProperty("params").Clone())];

    private static async Task<List<JsonElement>> WaitForEndAsync(RpcTestClient c)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            var all = UpdateProgress(c);
            if (all.Count > 0 && all[^1].GetProperty("status").GetString() is "succeeded" or "failed") return all;
            await Task.Delay(20);
        }
        throw new TimeoutException("no final update_progress; got: " + string.Join(", ", UpdateProgress(c)));
    }

    private static string Json(string s) => JsonSerializer.Serialize(s);

    [Test]
    public async Task GetUpdateStatusReportsRaucTheBuildAndTheGate()
    {
        await using var c = await _host.ConnectAsync(Role.Admin);
        // The gate asks RAUC right after start; wait until it has decided (the booted slot is fresh: no state file).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var s = await StatusAsync(c);
        while (!s.GetProperty("pending_confirmation").GetBoolean() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            s = await StatusAsync(c);
        }

        Assert.That(s.GetProperty("enabled").GetBoolean(), Is.True);
        Assert.That(s.GetProperty("compatible").GetString(), Is.EqualTo("camera-appliance-test"), "RAUC's compatible");
        Assert.That(s.GetProperty("booted_slot").GetString(), Is.EqualTo("rootfs.1"));
        Assert.That(s.GetProperty("boot_primary").GetString(), Is.EqualTo("rootfs.1"));
        Assert.That(s.GetProperty("running_version").GetString(), Is.EqualTo(AppInfo.Version));
        Assert.That(s.GetProperty("git_revision").GetString(), Is.EqualTo(AppInfo.GitRevision));
        Assert.That(s.GetProperty("board").GetString(), Is.EqualTo("rpi4"), "gpio.board from the config");
        Assert.That(s.GetProperty("pending_confirmation").GetBoolean(), Is.True, "freshly installed slot, never confirmed");
        Assert.That(s.TryGetProperty("confirmed_at", out _), Is.False);
        Assert.That(s.GetProperty("healthy_for").GetDouble(), Is.Zero, "no MediaMTX here: never healthy");
        Assert.That(s.GetProperty("healthy_after").GetDouble(), Is.EqualTo(5));

        var slots = s.GetProperty("slots").EnumerateArray().ToList();
        Assert.That(slots.Select(x => x.GetProperty("name").GetString()), Is.EqualTo(new[] { "rootfs.0", "rootfs.1" }));
        Assert.That(slots[0].GetProperty("bootname").GetString(), Is.EqualTo("A"));
        Assert.That(slots[0].GetProperty("state").GetString(), Is.EqualTo("inactive"));
        Assert.That(slots[0].GetProperty("boot_status").GetString(), Is.EqualTo("good"));
        Assert.That(slots[0].GetProperty("version").GetString(), Is.EqualTo("1.0.0"));
        Assert.That(slots[0].GetProperty("installed_at").GetString(), Is.EqualTo("2026-01-01T08:00:00Z"));
        Assert.That(slots[1].GetProperty("bootname").GetString(), Is.EqualTo("B"));
        Assert.That(slots[1].GetProperty("state").GetString(), Is.EqualTo("booted"));
        Assert.That(slots[1].GetProperty("version").GetString(), Is.EqualTo("2.0.0"));
        Assert.That(slots[1].GetProperty("installed_at").GetString(), Is.EqualTo("2026-05-01T10:00:00Z"));

        var install = s.GetProperty("install");
        Assert.That(install.GetProperty("state").GetString(), Is.AnyOf("idle", "succeeded", "failed"), "no installation running");
        Assert.That(_rauc.Calls, Does.Contain("status --detailed --output-format=json"));
        Assert.That(_rauc.Calls, Does.Not.Contain("status mark-good booted"), "never healthy, never marked good");
    }

    [TestCase("relative/update.raucb", "absolute path")]
    [TestCase("/data/../etc/update.raucb", "'..'")]
    [TestCase("/nonexistent/update.raucb", "does not exist")]
    [TestCase("ftp://updates.example.com/update.raucb", "http:// or https://")]
    [TestCase("/etc/hostname", ".raucb")]
    [TestCase("", "required")]
    public async Task BadBundleIsInvalidParamsNamingBundle(string bundle, string why)
    {
        await using var c = await _host.ConnectAsync(Role.Admin);
        using var reply = await c.CallAsync("install_update", $$"""{"bundle":{{Json(bundle)}}}""");
        var (code, message, field) = Error(reply);
        Assert.That(code, Is.EqualTo(-32602));
        Assert.That(field, Is.EqualTo("bundle"));
        Assert.That(message, Does.Contain(why));
        Assert.That(_rauc.Calls, Has.None.EqualTo($"install {bundle}"), "rauc never saw it");
    }

    [Test]
    public async Task DirectoryNamedLikeABundleIsRefused()
    {
        var dir = Path.Combine(_host.DataDir, "dir.raucb");
        Directory.CreateDirectory(dir);
        await using var c = await _host.ConnectAsync(Role.Admin);
        using var reply = await c.CallAsync("install_update", $$"""{"bundle":{{Json(dir)}}}""");
        Assert.That(Error(reply), Is.EqualTo((-32602, $"Invalid params: 'bundle' is a directory: {dir}", (string?)"bundle")));
    }

    [Test]
    public async Task InstallStreamsProgressToSubscribersAndEndsInSucceeded()
    {
        await using var subscribed = await _host.ConnectAsync(Role.Viewer);
        await subscribed.SubscribeAsync(["update.progress"]);
        await using var v1 = await _host.ConnectAsync(Role.Viewer); // never subscribes
        await using var admin = await _host.ConnectAsync(Role.Admin);
        await using var adminWatching = await _host.ConnectAsync(Role.Admin);
        await adminWatching.SubscribeAsync(["update.progress"]);

        using (var reply = await admin.CallAsync("install_update", $$"""{"bundle":{{Json(_bundle)}}}"""))
        {
            var r = Result(reply);
            Assert.That(r.GetProperty("started").GetBoolean(), Is.True);
            Assert.That(r.GetProperty("bundle").GetString(), Is.EqualTo(_bundle));
        }
        var all = await WaitForEndAsync(subscribed);

        Assert.That(all.Select(n => n.GetProperty("percent").GetInt32()), Is.EqualTo(new[] { 0, 20, 40, 80, 100, 100 }));
        Assert.That(all.Select(n => n.GetProperty("status").GetString()),
            Is.EqualTo(new[] { "installing", "installing", "installing", "installing", "installing", "succeeded" }));
        Assert.That(all[1].GetProperty("message").GetString(), Is.EqualTo("Checking bundle"));
        Assert.That(all[^1].GetProperty("message").GetString(), Is.EqualTo("Installing done."));
        // Where the bundle lies is an admin's business: viewers see the progress without it.
        Assert.That(all.All(n => !n.TryGetProperty("bundle", out _) && n.GetProperty("event").GetString() == "update.progress"), Is.True);
        var adminSaw = await WaitForEndAsync(adminWatching);
        Assert.That(adminSaw.Select(n => n.GetProperty("percent").GetInt32()), Is.EqualTo(new[] { 0, 20, 40, 80, 100, 100 }));
        Assert.That(adminSaw.All(n => n.GetProperty("bundle").GetString() == _bundle), Is.True);
        Assert.That(all.Any(n => n.TryGetProperty("error", out _)), Is.False, "no error on success");
        Assert.That(_rauc.Calls, Does.Contain($"install {_bundle}"), "the stand-in was asked to install exactly that bundle");

        var status = (await StatusAsync(admin)).GetProperty("install");
        Assert.That(status.GetProperty("state").GetString(), Is.EqualTo("succeeded"));
        Assert.That(status.GetProperty("bundle").GetString(), Is.EqualTo(_bundle));
        Assert.That(status.GetProperty("percent").GetInt32(), Is.EqualTo(100));
        Assert.That(status.GetProperty("started_at").GetString(), Does.EndWith("Z"));
        Assert.That(status.GetProperty("finished_at").GetString(), Does.EndWith("Z"));
        Assert.That(status.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));

        await Task.Delay(200);
        Assert.That(UpdateProgress(v1), Is.Empty, "a never-subscribed (v1) connection gets no update_progress");
    }

    [Test]
    public async Task FailingInstallEndsInFailedWithRaucsErrorText()
    {
        _rauc.SetInstall(["  0% Installing", " 20% Checking bundle", "LastError: Failed to check bundle: signature verification failed: certificate has expired"],
            exitCode: 1, stderr: $"Installing `{_bundle}` failed");
        await using var subscribed = await _host.ConnectAsync(Role.Admin);
        await subscribed.SubscribeAsync(["update.progress"]);
        using (var reply = await subscribed.CallAsync("install_update", $$"""{"bundle":{{Json(_bundle)}}}"""))
            Assert.That(Result(reply).GetProperty("started").GetBoolean(), Is.True);
        var all = await WaitForEndAsync(subscribed);

        var last = all[^1];
        Assert.That(last.GetProperty("status").GetString(), Is.EqualTo("failed"));
        Assert.That(last.GetProperty("percent").GetInt32(), Is.EqualTo(20), "where it stopped");
        Assert.That(last.GetProperty("error").GetString(), Does.Contain("signature verification failed: certificate has expired"));
        var status = (await StatusAsync(subscribed)).GetProperty("install");
        Assert.That(status.GetProperty("state").GetString(), Is.EqualTo("failed"));
        Assert.That(status.GetProperty("error").GetString(), Does.StartWith("Failed to check bundle: signature verification failed"));
        Assert.That(status.GetProperty("error").GetString(), Does.Contain($"Installing `{_bundle}` failed"), "stderr too");
    }

    [Test]
    public async Task SecondInstallWhileOneRunsIsMinus32009()
    {
        _rauc.HoldInstall();
        try
        {
            await using var subscribed = await _host.ConnectAsync(Role.Admin);
            await subscribed.SubscribeAsync(["update.progress"]);
            using (var first = await subscribed.CallAsync("install_update", $$"""{"bundle":{{Json(_bundle)}}}"""))
                Assert.That(Result(first).GetProperty("started").GetBoolean(), Is.True);
            using (var second = await subscribed.CallAsync("install_update", """{"bundle":"https://updates.example.com/camera/2.2.0.raucb"}"""))
            {
                var (code, message, _) = Error(second);
                Assert.That(code, Is.EqualTo(-32009));
                Assert.That(message, Does.Contain("already in progress"));
            }
            Assert.That((await StatusAsync(subscribed)).GetProperty("install").GetProperty("state").GetString(), Is.EqualTo("installing"));
            _rauc.ReleaseInstall();
            var all = await WaitForEndAsync(subscribed);
            Assert.That(all[^1].GetProperty("status").GetString(), Is.EqualTo("succeeded"));
            Assert.That(_rauc.Calls, Does.Not.Contain("install https://updates.example.com/camera/2.2.0.raucb"));
        }
        finally
        {
            _rauc.ReleaseInstall(); // also when an assertion failed: no later install waits
        }
    }

    [Test]
    public async Task OperatorMayNotInstall()
    {
        await using var c = await _host.ConnectAsync(Role.Operator);
        using var reply = await c.CallAsync("install_update", $$"""{"bundle":{{Json(_bundle)}}}""");
        Assert.That(Error(reply).Code, Is.EqualTo(-32003));
        using var status = await c.CallAsync("get_update_status");
        Assert.That(Error(status).Code, Is.EqualTo(-32003));
    }
}

/// <summary>The same methods on a box with update.enabled = false (the default).</summary>
[NonParallelizable]
public sealed class UpdateDisabledApiTests
{
    [Test]
    public async Task InstallIsNotSupportedAndStatusSaysDisabled()
    {
        using var rauc = new RaucStandIn();
        await using var host = await RunningHost.StartAsync(extraToml: $"""

            [update]
            enabled = false
            rauc_path = "{rauc.Path}"
            """);
        var bundle = Path.Combine(host.DataDir, "update.raucb");
        File.WriteAllText(bundle, "bundle");
        await using var c = await host.ConnectAsync(Role.Admin);
        using (var reply = await c.CallAsync("install_update", $$"""{"bundle":{{JsonSerializer.Serialize(bundle)}}}"""))
        {
            var e = reply.RootElement.GetProperty("error");
            Assert.That(e.GetProperty("code").GetInt32(), Is.EqualTo(-32008));
            Assert.That(e.GetProperty("message").GetString(), Does.Contain("update.enabled = false"));
        }
        using (var reply = await c.CallAsync("get_update_status"))
        {
            var r = reply.RootElement.GetProperty("result");
            Assert.That(r.GetProperty("enabled").GetBoolean(), Is.False);
            Assert.That(r.GetProperty("pending_confirmation").GetBoolean(), Is.False);
            Assert.That(r.GetProperty("slots").GetArrayLength(), Is.Zero);
            Assert.That(r.GetProperty("install").GetProperty("state").GetString(), Is.EqualTo("idle"));
        }
        Assert.That(rauc.Calls, Is.Empty, "disabled: rauc is never run, not even by the gate");
    }
}
