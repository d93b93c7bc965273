namespace Appliance.Storage;

/// <summary>A finished-or-growing media file in one of the two collections: a regular file with an
/// acceptable bare name (never a symlink, directory or device).</summary>
public sealed record StoredFile(MediaKind Kind, string Name, string FullPath, FileStat Stat)
{
    public long Size => Stat.Size;
    public DateTimeOffset Modified => Stat.Modified;
    public DateTimeOffset Created => Stat.Created;

    /// <summary>Newest first: by modification time, then by name Z→A (the contract's names carry
    /// their timestamp, so ties stay newest first too).</summary>
    public static int NewestFirst(StoredFile a, StoredFile b)
    {
        var byTime = b.Modified.CompareTo(a.Modified);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.Name, a.Name);
    }
}

public enum LookupStatus { Found, InvalidName, NotFound }

/// <summary>What a client-given name refers to. <see cref="Message"/> is ready to show
/// ("Recording not found: x.mp4", "'filename' must not contain '..'"); <see cref="Detail"/> says why
/// an existing entry does not count (a symlink, a directory).</summary>
public sealed record FileLookup(LookupStatus Status, StoredFile? File, string Message, string? Detail = null);
