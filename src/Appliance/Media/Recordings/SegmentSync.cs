namespace Appliance.Media.Recordings;

/// <summary>
/// The fsync policy of <c>recording.fsync_interval</c>. FFmpeg writes each fragment whole
/// (flush_packets), but into the page cache: a kill keeps it, a power cut does not. Every
/// interval the segment being written (and any that rotated past meanwhile) is fsynced through a
/// handle of our own (fsync flushes the inode's dirty pages whoever wrote them), and the directory
/// once for new names, so at most one interval of video is lost to a power cut. Counts what it did for the figures.
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

    /// <summary>Makes the session's segments durable up to their current lengths: the one being written,
    /// and any that rotated past since the last call (with a segment shorter than the interval, a
    /// whole file can start and finish between two calls).</summary>
    /// <param name="files">The session's segment file names in <paramref name="directory"/>, oldest first.</param>
    public void Sync(string directory, IReadOnlyList<string> files)
    {
        if (files.Count == 0) return;
        var from = _lastFile is null ? 0 : Math.Max(0, IndexOf(files, _lastFile));
        var newNames = _lastFile is null || from < files.Count - 1;
        for (var i = from; i < files.Count; i++)
        {
            if (!string.Equals(files[i], _lastFile, StringComparison.Ordinal))
            {
                _lastFile = files[i];
                _lastSyncedLength = 0;
            }
            SyncFile(Path.Combine(directory, files[i]));
        }
        // New names must reach the directory on disk, or the files vanish with the power.
        if (newNames && FsyncDirectory(directory)) Interlocked.Increment(ref _fsyncs);
    }

    private static int IndexOf(IReadOnlyList<string> files, string name)
    {
        for (var i = 0; i < files.Count; i++)
            if (string.Equals(files[i], name, StringComparison.Ordinal)) return i;
        return -1;
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

    // Some file systems cannot sync a directory; the files' own data is still synced.
    private static bool FsyncDirectory(string directory) => Storage.StorageNative.FsyncDirectory(directory);
}
