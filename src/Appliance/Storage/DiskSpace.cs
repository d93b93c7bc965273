using System.Runtime.InteropServices;

namespace Appliance.Storage;

/// <summary>
/// A file system's figures as df(1) shows them (statvfs, in f_frsize units).
/// <see cref="Used"/> is total minus free; <see cref="Available"/> is what an unprivileged writer
/// (the service) may still use, so the root-reserved blocks count as neither.
/// </summary>
public readonly record struct DiskUsage(long Total, long Used, long Available)
{
    /// <summary>df's Use%: used / (used + available) × 100. On a file system with root-reserved
    /// blocks this is the share of what the service can ever use, which is what matters for "full".</summary>
    public double UsagePercent => Used + Available <= 0 ? 0 : Used * 100.0 / (Used + Available);
}

public static class DiskSpace
{
    /// <summary>
    /// statvfs of the file system holding <paramref name="path"/>. A directory that does not
    /// exist yet (nothing recorded so far) is measured at its nearest existing parent: that is
    /// where its files will go.
    /// </summary>
    public static DiskUsage Of(string path)
    {
        var probe = Path.GetFullPath(path);
        while (!Directory.Exists(probe) && Path.GetDirectoryName(probe) is { } parent) probe = parent;
        if (StorageNative.StatVfs(probe, out var vfs) != 0)
            throw new IOException($"cannot read file system figures of {probe}: {StorageNative.Describe(Marshal.GetLastPInvokeError())}");
        var unit = vfs.FragmentSize != 0 ? vfs.FragmentSize : vfs.BlockSize;
        var total = (long)(vfs.Blocks * unit);
        return new DiskUsage(total, (long)((vfs.Blocks - vfs.FreeBlocks) * unit), (long)(vfs.AvailableBlocks * unit));
    }
}
