using System.Globalization;
using Appliance.Rpc;
using Appliance.Security;
using Appliance.Storage;
using Appliance.Tests.Support;

namespace Appliance.Tests.Storage;

/// <summary>get_storage_info and the storage guard on a real 4 MiB tmpfs holding the recordings.</summary>
public class StorageInfoTests
{
    private const int FsKiB = 4096;
    private const long FsBytes = FsKiB * 1024L;

    [Test]
    public async Task FiguresMatchDfAndTheThresholdsRaiseWarnings()
    {
        Tmpfs? fs = null;
        var host = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0", prepare: d => fs = new Tmpfs(d.File("recordings"), FsKiB));
        try
        {
            var recordings = fs!.Path;
            var snapshots = Path.Combine(host.DataDir, "snapshots");
            StorageSamples.Copy(StorageSamples.Mp4, recordings, "a.mp4");
            StorageSamples.Bytes(recordings, "b.mkv", 100_000);
            StorageSamples.Copy(StorageSamples.Jpg, snapshots, "s.jpg");
            StorageSamples.Copy(StorageSamples.Png, snapshots, "s.png");
            await using var client = await host.ConnectAsync(Role.Admin);

            var info = await StorageInfo(client);
            var df = Df(recordings);
            Assert.Multiple(() =>
            {
                Assert.That(RpcAssert.Names(info), Is.SupersetOf(new[] { "available_space", "critical_space_warning", "low_space_warning",
                    "recordings_size", "snapshots_size", "total_space", "usage_percentage", "used_space" }));
                Assert.That(info.GetProperty("total_space").GetInt64(), Is.EqualTo(FsBytes));
                Assert.That(info.GetProperty("total_space").GetInt64(), Is.EqualTo(df.Size));
                Assert.That(info.GetProperty("used_space").GetInt64(), Is.EqualTo(df.Used));
                Assert.That(info.GetProperty("available_space").GetInt64(), Is.EqualTo(df.Avail));
                Assert.That(info.GetProperty("usage_percentage").GetDouble(), Is.EqualTo(Math.Round(df.Used * 100.0 / (df.Used + df.Avail), 1)));
                Assert.That(Math.Ceiling(info.GetProperty("usage_percentage").GetDouble()), Is.EqualTo(df.Percent).Within(1));
                Assert.That(info.GetProperty("recordings_size").GetInt64(), Is.EqualTo(new FileInfo(StorageSamples.Mp4).Length + 100_000));
                Assert.That(info.GetProperty("snapshots_size").GetInt64(), Is.EqualTo(new FileInfo(StorageSamples.Jpg).Length + new FileInfo(StorageSamples.Png).Length));
                Assert.That(info.GetProperty("low_space_warning").GetBoolean(), Is.False);
                Assert.That(info.GetProperty("critical_space_warning").GetBoolean(), Is.False);
            });

            // Fill to ~85 %: past warn_percent (80), below block_percent (90).
            FillTo(recordings, 0.85);
            info = await StorageInfo(client);
            Assert.That(info.GetProperty("usage_percentage").GetDouble(), Is.InRange(80.0, 89.9));
            Assert.That(info.GetProperty("low_space_warning").GetBoolean(), Is.True);
            Assert.That(info.GetProperty("critical_space_warning").GetBoolean(), Is.False);

            // ~95 %: both.
            FillTo(recordings, 0.95);
            info = await StorageInfo(client);
            Assert.That(info.GetProperty("usage_percentage").GetDouble(), Is.GreaterThanOrEqualTo(90.0));
            Assert.That(info.GetProperty("low_space_warning").GetBoolean(), Is.True);
            Assert.That(info.GetProperty("critical_space_warning").GetBoolean(), Is.True);
        }
        finally
        {
            fs?.Dispose();
            await host.DisposeAsync();
        }
    }

    [Test]
    public void TheGuardRefusesRecordingAtBlockPercentAndHealthShowsStorageCritical()
    {
        using var dir = new TestDirectory();
        using var fs = new Tmpfs(dir.File("recordings"), FsKiB);
        var rig = StorageRig.In(dir);
        using var events = new Appliance.Events.EventHub();
        var health = new Appliance.Health.HealthRegistry(events);
        using var monitor = new StorageMonitor(rig.Guard, health, Microsoft.Extensions.Logging.Abstractions.NullLogger<StorageMonitor>.Instance);

        Assert.That(rig.Guard.EnsureCanRecord().Level, Is.EqualTo(StorageLevel.Ok));
        monitor.Check();
        Assert.That(health.Get("storage")!.State, Is.EqualTo(Appliance.Health.ComponentState.Running));
        FillTo(fs.Path, 0.93);
        var state = rig.Guard.Check();
        Assert.That(state.Level, Is.EqualTo(StorageLevel.Critical));
        var ex = Assert.Throws<InsufficientStorageException>(() => rig.Guard.EnsureCanRecord())!;
        Assert.That(ex.Message, Does.Match(@"^Insufficient storage: 9\d\.\d % used \(limit 90 %\)$"));
        Assert.That(ex.Message, Does.Contain((Math.Floor(state.UsagePercent * 10) / 10).ToString("0.0", CultureInfo.InvariantCulture)));
        // The status LED's "storage critical" error: the storage component fails.
        monitor.Check();
        Assert.That(health.Get("storage")!.State, Is.EqualTo(Appliance.Health.ComponentState.Failed));
        Assert.That(health.Get("storage")!.Detail, Does.StartWith("critical: 9").And.Contain("recordings refused at 90 %"));
        Assert.That(health.Overall(), Is.EqualTo("unhealthy"));

        // block_percent is read live: raised above the usage, recording is allowed again (low space is only a warning).
        rig.Config.Current.Storage.BlockPercent = 99;
        Assert.That(rig.Guard.EnsureCanRecord().Level, Is.EqualTo(StorageLevel.Low));
        monitor.Check();
        Assert.That(health.Get("storage")!.State, Is.EqualTo(Appliance.Health.ComponentState.Degraded));
        Assert.That(health.Get("storage")!.Detail, Does.StartWith("low space"));
    }

    private static async Task<System.Text.Json.JsonElement> StorageInfo(RpcTestClient client)
    {
        using var reply = await client.CallAsync("get_storage_info");
        return RpcAssert.Result(reply).Clone();
    }

    /// <summary>Grows fill.bin until the file system is <paramref name="fraction"/> used.</summary>
    private static void FillTo(string dir, double fraction)
    {
        var path = Path.Combine(dir, "fill.bin");
        var usage = DiskSpace.Of(dir);
        var current = File.Exists(path) ? new FileInfo(path).Length : 0;
        var wanted = (long)(fraction * (usage.Used + usage.Available)) - usage.Used;
        StorageSamples.Bytes(dir, "fill.bin", (int)(current + wanted));
    }

    private static (long Size, long Used, long Avail, int Percent) Df(string path)
    {
        var f = StorageSamples.Run("df", "-B1", "--output=size,used,avail,pcent", path).Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture),
            long.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3].TrimEnd('%'), CultureInfo.InvariantCulture));
    }
}
