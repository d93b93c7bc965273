namespace Appliance.Media.Recordings.Repair;

/// <summary>The wording of the scanners' problems (they end up in the log and in <see cref="RepairResult.Reason"/>).</summary>
internal static class ScanMessages
{
    public static string BadHeader(HeaderStatus status, string what, long pos, long length, long dataEnd) =>
        status == HeaderStatus.Truncated
            ? $"{what} at {pos} is cut short" + ZeroNote(length, dataEnd)
            : $"no valid {what} at {pos} (garbage)";

    public static string Torn(string name, long start, long size, long written, long length, long dataEnd) =>
        $"{name} at {start} declares {size} bytes, only {written} written" + ZeroNote(length, dataEnd);

    public static string ZeroTail(long length, long dataEnd) =>
        $"{length - dataEnd} zero bytes at the end (blocks that never reached the disk)";

    private static string ZeroNote(long length, long dataEnd) =>
        dataEnd < length ? $" before {length - dataEnd} zero bytes at the end" : "";
}
