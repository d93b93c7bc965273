namespace Appliance.Storage;

/// <summary>
/// Replaces a file so that a reader (or a power cut) sees either the old or the new content,
/// never a torn one: write a temp file in the same directory, fsync it, rename over the
/// target, then fsync the directory so the rename itself is durable.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (mode is { } m) options.UnixCreateMode = m;
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            FsyncDirectory(dir);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    // A failure is tolerated: some file systems cannot sync a directory; the file itself is already synced.
    private static void FsyncDirectory(string dir) => StorageNative.FsyncDirectory(dir);
}
