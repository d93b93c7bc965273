using System.Runtime.InteropServices;

namespace Appliance.Storage;

public enum FileType { Missing, Regular, Directory, Symlink, Other }

/// <summary>
/// What statx says about a path WITHOUT following a final symlink (a symlink is reported as a
/// symlink, never as what it points to), or about an open descriptor.
/// </summary>
/// <param name="AllocatedBytes">Blocks on disk × 512: what deleting the file gives back.</param>
/// <param name="Created">Birth time where the file system records it (ext4, tmpfs, btrfs, xfs),
/// otherwise the earlier of the change and modification times.</param>
/// <param name="Device">File system the file lives on (major &lt;&lt; 32 | minor).</param>
public readonly record struct FileStat(FileType Type, long Size, long AllocatedBytes, DateTimeOffset Modified, DateTimeOffset Created, ulong Device, ulong Inode)
{
    private const uint Wanted = StorageNative.StatxType | StorageNative.StatxMode | StorageNative.StatxSize | StorageNative.StatxBlocks
        | StorageNative.StatxMtime | StorageNative.StatxCtime | StorageNative.StatxBtime | StorageNative.StatxIno;

    public static readonly FileStat Missing = new(FileType.Missing, 0, 0, default, default, 0, 0);

    public bool IsRegular => Type == FileType.Regular;

    /// <summary>lstat-like: a missing path (or a missing parent) is <see cref="FileType.Missing"/>;
    /// any other failure (EACCES, EIO) is an IOException naming the path.</summary>
    public static FileStat Of(string path)
    {
        if (StorageNative.Statx(StorageNative.AtFdCwd, path, StorageNative.AtSymlinkNoFollow, Wanted, out var sx) == 0) return From(sx);
        var errno = Marshal.GetLastPInvokeError();
        if (errno is StorageNative.ENoEnt or StorageNative.ENotDir) return Missing;
        throw new IOException($"cannot stat {path}: {StorageNative.Describe(errno)}");
    }

    /// <summary>fstat-like, for a descriptor we opened.</summary>
    public static FileStat Of(SafeHandle descriptor)
    {
        var added = false;
        try
        {
            descriptor.DangerousAddRef(ref added);
            var fd = (int)descriptor.DangerousGetHandle();
            if (StorageNative.Statx(fd, "", StorageNative.AtEmptyPath, Wanted, out var sx) == 0) return From(sx);
            throw new IOException($"cannot stat descriptor {fd}: {StorageNative.Describe(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            if (added) descriptor.DangerousRelease();
        }
    }

    private static FileStat From(in Statx sx)
    {
        var type = (sx.Mode & StorageNative.SIfMt) switch
        {
            StorageNative.SIfReg => FileType.Regular,
            StorageNative.SIfDir => FileType.Directory,
            StorageNative.SIfLnk => FileType.Symlink,
            _ => FileType.Other,
        };
        var modified = sx.Mtime.ToDateTime();
        var changed = sx.Ctime.ToDateTime();
        var created = (sx.Mask & StorageNative.StatxBtime) != 0 && sx.Btime.Seconds != 0
            ? sx.Btime.ToDateTime()
            : (changed < modified ? changed : modified);
        return new FileStat(type, (long)sx.Size, (long)sx.Blocks * 512, modified, created,
            ((ulong)sx.DevMajor << 32) | sx.DevMinor, sx.Ino);
    }
}
