namespace Appliance.Media.Recordings;

/// <summary>
/// The fsync policy of <c>recording.fsync_interval</c>. FFmpeg writes each fragment whole
/// (flush_packets), but into the page cache: a kill keeps it, a power cut does not. Every
/// interval the segment being written is fsynced through a handle of our own (fsync flushes the
/// inode's dirty pages whoever wrote them), and a new segment's directory entry is synced once,
/// so at most one interval of video is lost to a power cut. Counts what it did for the figures.
/// </summary>
public sealed class SegmentSync
{
    private string? _lastFile;
    private long _lastSyncedLength;
    private long _fsyncs;
    private long _bytes;

    /// <summary>fsync calls made (files and directories).</summary>
    public long Fsyncs => Interlocked.Read(ref _fsyncs);

    /// <summary>Bytes written by FFmpeg that an fsync has made durable.</summary>
    public long BytesSynced => Interlocked.Read(ref _bytes);

    /// <summary>Makes <paramref name="path"/> (the segment being written) durable up to its current length.</summary>
    public void Sync(string path)
    {
        if (!string.Equals(path, _lastFile, StringComparison.Ordinal))
        {
            // A new segment: the rest of the previous one goes to disk first, then the new name must
            // reach the directory on disk or the file vanishes with the power.
            if (_lastFile is not null) SyncFile(_lastFile);
            if (Path.GetDirectoryName(path) is { Length: > 0 } dir) FlushHandle(dir);
            _lastFile = path;
            _lastSyncedLength = 0;
        }
        SyncFile(path);
    }

    private void SyncFile(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = RandomAccess.GetLength(handle);
            if (length == _lastSyncedLength) return; // nothing new since the last fsync: no I/O at all
            RandomAccess.FlushToDisk(handle);
            Interlocked.Increment(ref _fsyncs);
            Interlocked.Add(ref _bytes, Math.Max(0, length - _lastSyncedLength));
            _lastSyncedLength = length;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The segment was deleted or the card is failing: the storage guard and the stall watchdog report those.
        }
    }

    private void FlushHandle(string directory)
    {
        // Some file systems cannot sync a directory; the file's own data is still synced.
        if (Storage.StorageNative.FsyncDirectory(directory)) Interlocked.Increment(ref _fsyncs);
    }
}
