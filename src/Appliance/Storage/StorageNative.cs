using System.Runtime.InteropServices;

namespace Appliance.Storage;

/// <summary>
/// The libc calls the file catalog needs: statx (file type, size, times and device without
/// following a symlink, in one call), statvfs (what <c>df</c> shows), open (to serve a download
/// from exactly the inode that was checked) and unlink (which, unlike File.Delete, says when the
/// file was already gone, so two concurrent deletes cannot both report success). Both structs
/// have the same layout on x86-64 and ARM64: statx is architecture-independent by design, and
/// glibc's LP64 statvfs is all 64-bit fields; the storage tests compare the figures with stat(1)
/// and df(1).
/// </summary>
internal static partial class StorageNative
{
    public const int AtFdCwd = -100;
    public const int AtSymlinkNoFollow = 0x100;
    public const int AtEmptyPath = 0x1000;

    public const uint StatxType = 0x1;
    public const uint StatxMode = 0x2;
    public const uint StatxMtime = 0x40;
    public const uint StatxCtime = 0x80;
    public const uint StatxIno = 0x100;
    public const uint StatxSize = 0x200;
    public const uint StatxBlocks = 0x400;
    public const uint StatxBtime = 0x800;

    public const int SIfMt = 0xF000;
    public const int SIfReg = 0x8000;
    public const int SIfDir = 0x4000;
    public const int SIfLnk = 0xA000;

    public const int ORdOnly = 0;
    public const int ONonBlock = 0x800;   // same value on x86-64 and ARM64; a FIFO must not block the open
    public const int OCloExec = 0x80000;  // same value on x86-64 and ARM64

    public const int ENoEnt = 2;
    public const int ENotDir = 20;

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Statx(int dirFd, string path, int flags, uint mask, out Statx buffer);

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int StatVfs(string path, out StatVfs buffer);

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    /// <summary>
    /// fsyncs a directory, so that names created or renamed in it survive a power cut. .NET will not
    /// open a directory as a file (File.OpenHandle throws UnauthorizedAccessException), so this uses
    /// open(2) read-only, which Linux allows on a directory and which is all fsync needs.
    /// False when the file system refuses (some cannot sync directories).
    /// </summary>
    public static bool FsyncDirectory(string path)
    {
        var fd = Open(path, ORdOnly | OCloExec);
        if (fd < 0) return false;
        try { return Fsync(fd) == 0; }
        finally { Close(fd); }
    }

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
}

[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;
    public uint Nanoseconds;
    public int Reserved;

    public readonly DateTimeOffset ToDateTime() =>
        DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Nanoseconds / 100);
}

/// <summary>struct statx from linux/stat.h (256 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct Statx
{
    [FieldOffset(0)] public uint Mask;
    [FieldOffset(28)] public ushort Mode;
    [FieldOffset(32)] public ulong Ino;
    [FieldOffset(40)] public ulong Size;
    [FieldOffset(48)] public ulong Blocks;
    [FieldOffset(80)] public StatxTimestamp Btime;
    [FieldOffset(96)] public StatxTimestamp Ctime;
    [FieldOffset(112)] public StatxTimestamp Mtime;
    [FieldOffset(136)] public uint DevMajor;
    [FieldOffset(140)] public uint DevMinor;
}

/// <summary>glibc's struct statvfs on LP64 (112 bytes); only the first five fields are read.</summary>
[StructLayout(LayoutKind.Explicit, Size = 112)]
internal struct StatVfs
{
    [FieldOffset(0)] public ulong BlockSize;
    [FieldOffset(8)] public ulong FragmentSize;
    [FieldOffset(16)] public ulong Blocks;
    [FieldOffset(24)] public ulong FreeBlocks;
    [FieldOffset(32)] public ulong AvailableBlocks;
}
