using System.Text.Json;
using Appliance.Security;
using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>set_retention_policy and cleanup_old_files through the real host, and the stored
/// policy surviving a restart.</summary>
public class RetentionRpcTests
{
    [Test]
    public async Task SetRetentionPolicyValidatesEveryField()
    {
        await using var host = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0");
        await using var client = await host.ConnectAsync(Role.Admin);
        var cases = new (string Params, string Field, string Message)[]
        {
            ("""{"enabled":true}""", "policy_type", "'policy_type' is required (age, size, manual)"),
            ("""{"policy_type":"forever","enabled":true}""", "policy_type", "'policy_type' must be one of age, size, manual"),
            ("""{"policy_type":3,"enabled":true}""", "policy_type", "'policy_type' must be a string"),
            ("""{"policy_type":"age"}""", "enabled", "'enabled' is required (true or false)"),
            ("""{"policy_type":"age","enabled":"yes"}""", "enabled", "'enabled' must be true or false"),
            ("""{"policy_type":"age","enabled":true,"max_age_days":0}""", "max_age_days", "'max_age_days' must be greater than 0"),
            ("""{"policy_type":"age","enabled":true,"max_age_days":-3}""", "max_age_days", "'max_age_days' must be greater than 0"),
            ("""{"policy_type":"age","enabled":true,"max_age_days":"7"}""", "max_age_days", "'max_age_days' must be a number"),
            ("""{"policy_type":"age","enabled":true,"max_age_days":40000}""", "max_age_days", "'max_age_days' must be at most 36500"),
            ("""{"policy_type":"size","enabled":true,"max_size_gb":0}""", "max_size_gb", "'max_size_gb' must be greater than 0"),
            ("""{"policy_type":"size","enabled":true,"max_size_gb":[]}""", "max_size_gb", "'max_size_gb' must be a number"),
        };
        foreach (var (json, field, message) in cases)
        {
            using var reply = await client.CallAsync("set_retention_policy", json);
            Assert.That(RpcAssert.Error(reply), Is.EqualTo((-32602, "Invalid params: " + message, field)), json);
        }
        Assert.That(File.Exists(Path.Combine(host.DataDir, "state", RetentionPolicyStore.FileName)), Is.False, "nothing stored by a refused call");
    }

    [Test]
    public async Task GetStorageInfoShowsThePolicyInForceBeforeAndAfterItIsSet()
    {
        // A client (the console's System tab) shows the rule before changing it: first the config's, then the stored one.
        await using var host = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0\nretention_enabled = false");
        await using var client = await host.ConnectAsync(Role.Admin);
        using (var reply = await client.CallAsync("get_storage_info"))
        {
            var retention = RpcAssert.Result(reply).GetProperty("retention");
            Assert.That(RpcAssert.Names(retention), Is.EqualTo(new[] { "enabled", "max_age_days", "max_size_gb", "message", "policy_type", "updated_at" }));
            Assert.That(retention.GetProperty("enabled").GetBoolean(), Is.False);
            Assert.That(retention.GetProperty("updated_at").ValueKind, Is.EqualTo(JsonValueKind.Null), "never set: the config's policy");
            Assert.That(retention.GetProperty("message").GetString(), Does.Contain("disabled"));
        }
        using (var set = await client.CallAsync("set_retention_policy", """{"policy_type":"size","enabled":true,"max_size_gb":2.5}"""))
            RpcAssert.Result(set);
        using (var reply = await client.CallAsync("get_storage_info"))
        {
            var retention = RpcAssert.Result(reply).GetProperty("retention");
            Assert.That(retention.GetProperty("policy_type").GetString(), Is.EqualTo("size"));
            Assert.That(retention.GetProperty("enabled").GetBoolean(), Is.True);
            Assert.That(retention.GetProperty("max_size_gb").GetDouble(), Is.EqualTo(2.5));
            Assert.That(retention.GetProperty("updated_at").GetString(), Does.EndWith("Z"));
            Assert.That(retention.GetProperty("message").GetString(), Is.EqualTo("size, the oldest files are deleted while recordings and snapshots exceed 2.5 GiB"));
        }
    }

    [Test]
    public async Task TheStoredPolicyIsEchoedPersistedAndEnforcedAfterARestart()
    {
        string stateFile;
        await using (var first = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0"))
        {
            await using var client = await first.ConnectAsync(Role.Admin);
            using var reply = await client.CallAsync("set_retention_policy", """{"policy_type":"age","enabled":true,"max_age_days":1.5}""");
            var r = RpcAssert.Result(reply);
            Assert.That(RpcAssert.Names(r), Is.EqualTo(new[] { "enabled", "max_age_days", "max_size_gb", "message", "policy_type", "updated_at" }));
            Assert.That(r.GetProperty("policy_type").GetString(), Is.EqualTo("age"));
            Assert.That(r.GetProperty("enabled").GetBoolean(), Is.True);
            Assert.That(r.GetProperty("max_age_days").GetDouble(), Is.EqualTo(1.5));
            Assert.That(r.GetProperty("max_size_gb").GetDouble(), Is.EqualTo(10), "not given: the config's value is kept");
            Assert.That(r.GetProperty("message").GetString(), Does.Contain("older than 1.5 days"));
            stateFile = File.ReadAllText(Path.Combine(first.DataDir, "state", RetentionPolicyStore.FileName));
        }
        using var stored = JsonDocument.Parse(stateFile);
        Assert.That(RpcAssert.Names(stored.RootElement), Is.EqualTo(new[] { "enabled", "max_age_days", "max_size_gb", "policy_type", "updated_at" }));
        Assert.That(stored.RootElement.GetProperty("policy_type").GetString(), Is.EqualTo("age"));

        // The next start finds that state file; its config still says retention_enabled = false.
        var old = TimeSpan.FromDays(2);
        await using var second = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0\nretention_enabled = false", prepare: d =>
        {
            d.Write("state/" + RetentionPolicyStore.FileName, stateFile);
            StorageSamples.Bytes(d.File("recordings"), "old.mp4", 1234, old);
            StorageSamples.Bytes(d.File("snapshots"), "old.jpg", 567, old);
            StorageSamples.Bytes(d.File("snapshots"), "young.jpg", 89, TimeSpan.FromDays(1));
        });
        await using var admin = await second.ConnectAsync(Role.Admin);
        using (var reply = await admin.CallAsync("cleanup_old_files"))
        {
            var r = RpcAssert.Result(reply);
            Assert.That(RpcAssert.Names(r), Is.EqualTo(new[] { "cleanup_executed", "files_deleted", "message", "space_freed" }));
            Assert.That(r.GetProperty("cleanup_executed").GetBoolean(), Is.True);
            Assert.That(r.GetProperty("files_deleted").GetInt32(), Is.EqualTo(2));
            Assert.That(r.GetProperty("space_freed").GetInt64(), Is.EqualTo(1234 + 567));
        }
        Assert.That(File.Exists(Path.Combine(second.DataDir, "snapshots", "young.jpg")), Is.True);
        Assert.That(File.Exists(Path.Combine(second.DataDir, "recordings", "old.mp4")), Is.False);

        using (var reply = await admin.CallAsync("cleanup_old_files"))
        {
            var r = RpcAssert.Result(reply);
            Assert.That((r.GetProperty("files_deleted").GetInt32(), r.GetProperty("space_freed").GetInt64()), Is.EqualTo((0, 0L)));
        }

        // Switching it to manual keeps the stored age, and stops age deletion.
        using (var reply = await admin.CallAsync("set_retention_policy", """{"policy_type":"manual","enabled":true}"""))
            Assert.That(RpcAssert.Result(reply).GetProperty("max_age_days").GetDouble(), Is.EqualTo(1.5));
        StorageSamples.Bytes(Path.Combine(second.DataDir, "recordings"), "older.mp4", 10, TimeSpan.FromDays(30));
        using (var reply = await admin.CallAsync("cleanup_old_files"))
            Assert.That(RpcAssert.Result(reply).GetProperty("files_deleted").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task TheConfigsRetentionIsEnforcedInTheBackground()
    {
        string? old = null;
        await using var host = await RunningHost.StartAsync(
            storageExtra: "min_free_mb = 0\nretention_enabled = true\nretention_policy = \"age\"\nmax_age_days = 1\ncleanup_interval = 1",
            prepare: d => old = StorageSamples.Bytes(d.File("recordings"), "old.mp4", 10, TimeSpan.FromDays(3)));
        var keep = StorageSamples.Bytes(Path.Combine(host.DataDir, "recordings"), "new.mp4", 10);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (File.Exists(old) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.That(File.Exists(old), Is.False);
        Assert.That(File.Exists(keep), Is.True);
    }
}
