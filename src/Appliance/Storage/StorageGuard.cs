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

    /// <summary>The one rule for room to record, before a start and every second while recording:
    /// under storage.block_percent and at least storage.min_free_mb free.</summary>
    public bool HasRoom(StorageState state) => !state.CriticalSpaceWarning && state.Disk.Available >= MinFreeBytes;

    public long MinFreeBytes => (long)(config.Current.Storage.MinFreeMb * 1024 * 1024);

    /// <summary>Bytes that must be free for <see cref="HasRoom"/> to hold: above min_free_mb and back under block_percent.</summary>
    public long SpaceWanted(StorageState state)
    {
        var underBlock = (long)((state.Disk.Used + state.Disk.Available) * (1 - state.BlockPercent / 100.0)) + 1;
        return Math.Max(MinFreeBytes, underBlock);
    }

    /// <summary>Throws "Insufficient storage: 93.1 % used (limit 90 %)" or "Insufficient storage: 300 MB free
    /// (storage.min_free_mb 512)" when <see cref="HasRoom"/> does not hold (the API answers -32007).</summary>
    public StorageState EnsureCanRecord() => EnsureCanRecord(Check());

    public StorageState EnsureCanRecord(StorageState state)
    {
        if (state.CriticalSpaceWarning)
            throw new InsufficientStorageException(string.Create(CultureInfo.InvariantCulture,
                $"Insufficient storage: {Percent(state)} % used (limit {state.BlockPercent} %)"), state);
        if (!HasRoom(state))
            throw new InsufficientStorageException(string.Create(CultureInfo.InvariantCulture,
                $"Insufficient storage: {state.Disk.Available / 1048576.0:0.#} MB free (storage.min_free_mb {config.Current.Storage.MinFreeMb:0.#})"), state);
        return state;
    }

    /// <summary>One decimal, rounded down: 89.99 % shows as 89.9, never as the 90.0 that would be refused.</summary>
    public static string Percent(StorageState state) =>
        (Math.Floor(state.UsagePercent * 10) / 10).ToString("0.0", CultureInfo.InvariantCulture);
}
