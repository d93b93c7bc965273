namespace Appliance.Storage;

/// <summary>
/// Room for recordings, one rule for before and during (<see cref="StorageGuard.HasRoom"/>): when
/// it is short, the oldest finished files go first (retention), and only if that cannot free
/// enough is a start refused or a running recording stopped. Every check is reported to health.
/// </summary>
public sealed class RecordingRoom(StorageGuard guard, RetentionSweeper retention, StorageMonitor monitor)
{
    /// <summary>True when there is room (after deleting old files if needed).</summary>
    public async Task<bool> MakeRoomAsync(CancellationToken ct) => guard.HasRoom(await CheckAsync(ct));

    /// <summary>Throws <see cref="InsufficientStorageException"/> when there is no room even after deleting old files.</summary>
    public async Task EnsureRoomAsync(CancellationToken ct) => guard.EnsureCanRecord(await CheckAsync(ct));

    private async Task<StorageState> CheckAsync(CancellationToken ct)
    {
        var state = guard.Check();
        monitor.Observe(state);
        if (guard.HasRoom(state)) return state;
        await retention.FreeSpaceAsync(guard.SpaceWanted(state), ct);
        state = guard.Check();
        monitor.Observe(state);
        return state;
    }
}
