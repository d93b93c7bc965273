using System.Globalization;
using Appliance.Configuration;

namespace Appliance.Storage;

public enum StorageLevel { Ok, Low, Critical }

/// <summary>The recordings file system now, against <c>storage.warn_percent</c> and <c>storage.block_percent</c>.</summary>
public sealed record StorageState(DiskUsage Disk, StorageLevel Level, int WarnPercent, int BlockPercent)
{
    public double UsagePercent => Disk.UsagePercent;
    public bool LowSpaceWarning => Level >= StorageLevel.Low;
    public bool CriticalSpaceWarning => Level == StorageLevel.Critical;
}

/// <summary>No room to record: at or above storage.block_percent. <see cref="Exception.Message"/> says how full.</summary>
public sealed class InsufficientStorageException(string message, StorageState state) : Exception(message)
{
    public StorageState State { get; } = state;
}

/// <summary>
/// Whether there is room to record. Reads statvfs of the recordings directory's file system at
/// every call (a cheap syscall), and the thresholds from the live config, so an edit of
/// warn_percent/block_percent applies at once. Used by start_recording (refuse with -32007),
/// get_storage_info, health and the LEDs.
/// </summary>
public sealed class StorageGuard(ConfigStore config, FileCatalog catalog)
{
    public StorageState Check()
    {
        var disk = DiskSpace.Of(catalog.DirectoryOf(MediaKind.Recording));
        var s = config.Current.Storage;
        var usage = disk.UsagePercent;
        var level = usage >= s.BlockPercent ? StorageLevel.Critical : usage >= s.WarnPercent ? StorageLevel.Low : StorageLevel.Ok;
        return new StorageState(disk, level, s.WarnPercent, s.BlockPercent);
    }

    /// <summary>Throws "Insufficient storage: 93.1 % used (limit 90 %)" at or above block_percent (the API answers -32007).</summary>
    public StorageState EnsureCanRecord()
    {
        var state = Check();
        if (state.CriticalSpaceWarning)
            throw new InsufficientStorageException(string.Create(CultureInfo.InvariantCulture,
                $"Insufficient storage: {Percent(state)} % used (limit {state.BlockPercent} %)"), state);
        return state;
    }

    /// <summary>One decimal, rounded down: 89.99 % shows as 89.9, never as the 90.0 that would be refused.</summary>
    public static string Percent(StorageState state) =>
        (Math.Floor(state.UsagePercent * 10) / 10).ToString("0.0", CultureInfo.InvariantCulture);
}
