using Appliance.Media.Recordings;
using Appliance.Storage;

namespace Appliance.Hosting.Composition;

/// <summary>Files and storage: the catalog (which never hands out a file being recorded), retention,
/// the storage guard and its health, and the one room rule recordings start and run under.</summary>
internal sealed record StorageParts(FileCatalog Catalog, RetentionSweeper Retention, StorageGuard Guard, StorageMonitor Monitor, RecordingRoom Room)
{
    public static StorageParts Add(HostContext host, ProcessesParts processes, RecordingsInProgress recordings)
    {
        var config = host.Config;
        var probe = new MediaProbe(() => config.Current.Ffmpeg.FfprobePath, processes.Runner, host.Log<MediaProbe>());
        var catalog = new FileCatalog(config, recordings, probe);
        var retention = new RetentionSweeper(config, catalog, new RetentionPolicyStore(config, host.Log<RetentionPolicyStore>()), host.Log<RetentionSweeper>());
        var guard = new StorageGuard(config, catalog);
        var monitor = new StorageMonitor(guard, host.Health, host.Log<StorageMonitor>());
        host.Lifetime.ApplicationStarted.Register(retention.Start);
        host.Lifetime.ApplicationStarted.Register(monitor.Start);
        host.Lifetime.ApplicationStopping.Register(retention.Dispose);
        host.Lifetime.ApplicationStopping.Register(monitor.Dispose);
        return new StorageParts(catalog, retention, guard, monitor, new RecordingRoom(guard, retention, monitor));
    }
}
