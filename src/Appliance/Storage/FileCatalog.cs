using Appliance.Configuration;

namespace Appliance.Storage;

/// <summary>One page of a listing: the page's files (newest first) and how many there are in all.</summary>
public sealed record FilePage(IReadOnlyList<StoredFile> Files, int Total);

public enum DeleteStatus { Deleted, InvalidName, NotFound, BeingWritten }

public sealed record DeleteOutcome(DeleteStatus Status, string Message, string? Detail = null, StoredFile? File = null);

/// <summary>
/// The recordings and snapshots on disk (<c>recording.path</c>, <c>snapshots.path</c>, bound at
/// start like every path). Only regular files with an acceptable bare name are part of the
/// catalog: a symlink, directory, FIFO or hidden temp file in the directory is not listed, not
/// described, not served and not deleted; a symlink is never followed. Nothing is cached except
/// ffprobe answers: every call looks at the directory as it is now.
/// </summary>
public sealed class FileCatalog
{
    private readonly string _recordings;
    private readonly string _snapshots;

    public FileCatalog(ConfigStore config, IActiveFiles activeFiles, MediaProbe probe)
    {
        _recordings = Path.GetFullPath(config.Current.Recording.Path);
        _snapshots = Path.GetFullPath(config.Current.Snapshots.Path);
        ActiveFiles = activeFiles;
        Probe = probe;
    }

    public IActiveFiles ActiveFiles { get; }
    public MediaProbe Probe { get; }

    public string DirectoryOf(MediaKind kind) => kind == MediaKind.Recording ? _recordings : _snapshots;

    /// <summary>Every file of the collection, newest first. A directory that does not exist yet is empty.</summary>
    public List<StoredFile> Scan(MediaKind kind)
    {
        var dir = DirectoryOf(kind);
        var files = new List<StoredFile>();
        IEnumerable<string> names;
        try
        {
            names = Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).OfType<string>().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return files;
        }
        foreach (var name in names)
        {
            if (!SafeFileName.IsAcceptable(name, kind)) continue;
            var full = Path.Join(dir, name);
            FileStat stat;
            try { stat = FileStat.Of(full); }
            catch (IOException) { continue; } // unreadable entry: not part of the catalog
            if (stat.IsRegular) files.Add(new StoredFile(kind, name, full, stat));
        }
        files.Sort(StoredFile.NewestFirst);
        return files;
    }

    public FilePage List(MediaKind kind, int limit, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var all = Scan(kind);
        return new FilePage(all.Skip(offset).Take(limit).ToList(), all.Count);
    }

    /// <summary>
    /// What a client-given name refers to: checked as a string first (<see cref="SafeFileName"/>),
    /// then looked at with statx without following a symlink. Only a regular file is Found.
    /// </summary>
    public FileLookup Find(MediaKind kind, string? name)
    {
        if (SafeFileName.Problem(name, kind) is { } problem) return new FileLookup(LookupStatus.InvalidName, null, problem);
        var full = Path.Join(DirectoryOf(kind), name);
        var stat = FileStat.Of(full);
        var notFound = $"{MediaKinds.Label(kind)} not found: {name}";
        return stat.Type switch
        {
            FileType.Regular => new FileLookup(LookupStatus.Found, new StoredFile(kind, name!, full, stat), ""),
            FileType.Missing => new FileLookup(LookupStatus.NotFound, null, notFound),
            FileType.Symlink => new FileLookup(LookupStatus.NotFound, null, notFound, $"{name} is a symbolic link; links are never followed"),
            FileType.Directory => new FileLookup(LookupStatus.NotFound, null, notFound, $"{name} is a directory"),
            _ => new FileLookup(LookupStatus.NotFound, null, notFound, $"{name} is not a regular file"),
        };
    }

    /// <summary>
    /// Deletes a finished file. A file being written is refused (stop the recording first); a
    /// second delete of the same name is NotFound. unlink never follows a symlink, and
    /// <see cref="Find"/> has refused symlinks already.
    /// </summary>
    public DeleteOutcome Delete(MediaKind kind, string? name)
    {
        var lookup = Find(kind, name);
        if (lookup.Status == LookupStatus.InvalidName) return new DeleteOutcome(DeleteStatus.InvalidName, lookup.Message);
        if (lookup.File is not { } file) return new DeleteOutcome(DeleteStatus.NotFound, lookup.Message, lookup.Detail);
        if (ActiveFiles.IsBeingWritten(file.FullPath))
            return new DeleteOutcome(DeleteStatus.BeingWritten, $"{file.Name} is being recorded; stop the recording first", null, file);
        if (!TryUnlink(file)) return new DeleteOutcome(DeleteStatus.NotFound, $"{MediaKinds.Label(kind)} not found: {name}");
        return new DeleteOutcome(DeleteStatus.Deleted, $"{MediaKinds.Label(kind)} {file.Name} deleted", null, file);
    }

    /// <summary>Removes the file; false when it was already gone (someone else deleted it first) or
    /// was replaced since it was looked at (another inode). Other failures (EACCES, EROFS) are
    /// thrown: the caller must not report a deletion that did not happen.</summary>
    internal bool TryUnlink(StoredFile file)
    {
        var now = FileStat.Of(file.FullPath);
        if (!now.IsRegular || now.Inode != file.Stat.Inode || now.Device != file.Stat.Device) return false;
        if (StorageNative.Unlink(file.FullPath) != 0)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == StorageNative.ENoEnt) return false;
            throw new IOException($"cannot delete {file.FullPath}: {StorageNative.Describe(errno)}");
        }
        Probe.Forget(file.FullPath);
        return true;
    }
}
