namespace Appliance.Storage;

/// <summary>What one cleanup removed. <see cref="SpaceFreed"/> is the sum of the deleted files'
/// sizes in bytes. <see cref="Satisfied"/>: the free-space goal (min_free_mb, or the bytes asked
/// of <see cref="RetentionSweeper.FreeSpaceAsync"/>) is met; false when only files being written
/// (or nothing) were left to delete.</summary>
public sealed record CleanupResult(int FilesDeleted, long SpaceFreed, IReadOnlyList<string> DeletedFiles, bool Satisfied, string Message);
