using System.Runtime.InteropServices;

namespace Appliance.Cameras.V4L2;

/// <summary>
/// The libc calls camera discovery needs, and nothing else. LibraryImport generates the
/// marshalling at compile time (AOT-safe); all arguments are blittable. ioctl is variadic in C,
/// but on Linux x86-64 and AArch64 a third pointer argument is passed exactly like a fixed one.
/// </summary>
internal static partial class LibC
{
    public const int ORdWr = 0x0002;
    public const int ONonBlock = 0x0800;   // 04000 on x86-64 and asm-generic (ARM64)
    public const int OCloExec = 0x80000;   // 02000000 on both

    public const int EIntr = 4;
    public const int ENoEnt = 2;
    public const int ENxio = 6;
    public const int EAcces = 13;
    public const int EBusy = 16;
    public const int ENoDev = 19;
    public const int EInval = 22;
    public const int ENoTty = 25;

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, ref V4l2Capability arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, ref V4l2FmtDesc arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, ref V4l2FrmSizeEnum arg);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, ref V4l2FrmIvalEnum arg);

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";
}
