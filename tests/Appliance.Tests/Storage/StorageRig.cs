using Appliance.Configuration;
using Appliance.Processes;
using Appliance.Storage;
using Appliance.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.Storage;

/// <summary>A fake list of files being written (the recorder's role), for the tests.</summary>
public sealed class FakeActiveFiles : IActiveFiles
{
    public HashSet<string> Paths { get; } = new(StringComparer.Ordinal);

    public bool IsBeingWritten(string fullPath) => Paths.Contains(fullPath);
}

/// <summary>The storage objects wired as the host wires them, over real directories under
/// <paramref name="root"/> (recordings/, snapshots/, state/), with min_free_mb = 0 unless changed.</summary>
public sealed class StorageRig
{
    public StorageRig(string root, Action<StorageSection>? storage = null)
    {
        var config = new ApplianceConfig();
        config.Recording.Path = Path.Combine(root, "recordings");
        config.Snapshots.Path = Path.Combine(root, "snapshots");
        config.Storage.StateDir = Path.Combine(root, "state");
        config.Storage.MinFreeMb = 0;
        storage?.Invoke(config.Storage);
        Directory.CreateDirectory(config.Recording.Path);
        Directory.CreateDirectory(config.Snapshots.Path);
        Config = new ConfigStore(config, null, NullLogger.Instance);
        Probe = new MediaProbe(() => "ffprobe", new ProcessRunner(), NullLogger.Instance);
        Catalog = new FileCatalog(Config, Active, Probe);
        Guard = new StorageGuard(Config, Catalog);
        Policies = new RetentionPolicyStore(Config, NullLogger.Instance);
        Sweeper = new RetentionSweeper(Config, Catalog, Policies, NullLogger.Instance);
    }

    public FakeActiveFiles Active { get; } = new();
    public ConfigStore Config { get; }
    public MediaProbe Probe { get; }
    public FileCatalog Catalog { get; }
    public StorageGuard Guard { get; }
    public RetentionPolicyStore Policies { get; }
    public RetentionSweeper Sweeper { get; }
    public string Recordings => Catalog.DirectoryOf(MediaKind.Recording);
    public string Snapshots => Catalog.DirectoryOf(MediaKind.Snapshot);

    public static StorageRig In(TestDirectory dir, Action<StorageSection>? storage = null) => new(dir.Path, storage);
}
