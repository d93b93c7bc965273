using Appliance.Configuration;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Configuration;

public class ConfigStoreTests
{
    private const string Base = "[server]\nenvironment = \"development\"\nport = 8002\n[logging]\nlevel = \"info\"\n";

    [Test]
    public void LiveKeysApplyAndOthersAreReportedAsNeedingRestart()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("a.toml", Base);
        var store = new ConfigStore(ConfigLoader.LoadFile(path, new Dictionary<string, string>()).Config!, path, NullLogger.Instance,
            () => ConfigLoader.LoadFile(path, new Dictionary<string, string>()));
        File.WriteAllText(path, "[server]\nenvironment = \"development\"\nport = 9000\n[logging]\nlevel = \"debug\"\n[security]\nrate_limit_burst = 5\n");

        var change = store.Reload();

        Assert.That(change, Is.Not.Null);
        Assert.That(change!.AppliedKeys, Is.EquivalentTo(new[] { "logging.level", "security.rate_limit_burst" }));
        Assert.That(change.RestartKeys, Is.EqualTo(new[] { "server.port" }));
        Assert.That(store.Current.Logging.Level, Is.EqualTo("debug"));
        Assert.That(store.PendingRestart, Is.EqualTo(new[] { "server.port" }));
    }

    [Test]
    public void InvalidEditIsRejectedAndTheRunningConfigKept()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("a.toml", Base);
        var store = new ConfigStore(ConfigLoader.LoadFile(path, new Dictionary<string, string>()).Config!, path, NullLogger.Instance,
            () => ConfigLoader.LoadFile(path, new Dictionary<string, string>()));
        IReadOnlyList<ConfigProblem>? rejected = null;
        store.Rejected += p => rejected = p;
        File.WriteAllText(path, "[server]\nenvironment = \"development\"\nport = -1\n[logging]\nlevel = \"debug\"\n");

        Assert.That(store.Reload(), Is.Null);
        Assert.That(store.Current.Logging.Level, Is.EqualTo("info"));
        Assert.That(rejected!.Single().Key, Is.EqualTo("server.port"));
    }

    // Base is 5 lines: [server] (1), environment, port, [logging] (4), level = "info" (5).
    [TestCase("[logging]\nformat = \"console\"\nlevel = \"debug\"\n", "logging", 6, "table [logging] is defined twice (first at line 4)",
        TestName = "AnEditDefiningATableTwiceIsRejectedAndTheRunningConfigKept")]
    [TestCase("level = \"debug\"\n", "logging.level", 6, "key logging.level is defined twice (first at line 5)",
        TestName = "AnEditAssigningAKeyTwiceIsRejectedAndTheRunningConfigKept")]
    public void AnEditDefiningSomethingTwiceIsRejectedAndTheRunningConfigKept(string appended, string key, int line, string message)
    {
        using var dir = new TestDirectory();
        var path = dir.Write("a.toml", Base);
        var store = new ConfigStore(ConfigLoader.LoadFile(path, new Dictionary<string, string>()).Config!, path, NullLogger.Instance,
            () => ConfigLoader.LoadFile(path, new Dictionary<string, string>()));
        IReadOnlyList<ConfigProblem>? rejected = null;
        var accepted = 0;
        store.Rejected += p => rejected = p;
        store.Accepted += () => accepted++;
        File.WriteAllText(path, Base + appended);

        Assert.That(store.Reload(), Is.Null);
        Assert.That(accepted, Is.Zero);
        Assert.That((store.Current.Logging.Level, store.Current.Logging.Format), Is.EqualTo(("info", "systemd")), "the running config is kept");
        var problem = rejected!.Single();
        Assert.That((problem.Key, problem.Line, problem.Message), Is.EqualTo((key, (int?)line, message)));
        Assert.That(problem.Source, Is.EqualTo(path));

        // The same change written once is taken.
        File.WriteAllText(path, Base.Replace("level = \"info\"", "level = \"debug\""));
        Assert.That(store.Reload()!.AppliedKeys, Is.EqualTo(new[] { "logging.level" }));
        Assert.That(store.Current.Logging.Level, Is.EqualTo("debug"));
    }

    [Test]
    public void VirtualCameraEditsAreReportedAsOneKey()
    {
        var a = new ApplianceConfig();
        var b = new ApplianceConfig();
        b.Camera.Virtual.Add(new VirtualCameraConfig { Fps = 10 });
        Assert.That(ConfigStore.Diff(a, b), Is.EqualTo(new[] { "camera.virtual" }));
        Assert.That(ConfigStore.Diff(a, new ApplianceConfig()), Is.Empty);
    }

    [Test]
    public async Task EditingTheFileOnDiskReloadsIt()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("a.toml", Base);
        using var store = new ConfigStore(ConfigLoader.LoadFile(path, new Dictionary<string, string>()).Config!, path, NullLogger.Instance,
            () => ConfigLoader.LoadFile(path, new Dictionary<string, string>()));
        var changed = new TaskCompletionSource<ConfigChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Changed += c => changed.TrySetResult(c);
        store.Watch();

        // Replace the file the way editors do: write a new file and rename it over the old one.
        var temp = dir.Write("a.toml.new", Base.Replace("info", "warning"));
        File.Move(temp, path, overwrite: true);

        var done = await Task.WhenAny(changed.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.That(done, Is.SameAs(changed.Task), "the watcher did not pick up the edit");
        Assert.That(store.Current.Logging.Level, Is.EqualTo("warning"));
    }
}
