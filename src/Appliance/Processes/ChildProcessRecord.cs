using System.Text.Json.Serialization;

namespace Appliance.Processes;

/// <summary>
/// One running child as written to the state file. PID + start time + boot id identify a process
/// uniquely (a PID alone may have been reused since); the program is checked against
/// /proc/&lt;pid&gt;/cmdline as a second line of defence before anything is killed.
/// </summary>
/// <param name="Pid">The child's PID.</param>
/// <param name="ProcessGroup">Its process group id (equal to the PID: it leads its own group).</param>
/// <param name="Program">Absolute path of the program, argv[0].</param>
/// <param name="StartTime">/proc/&lt;pid&gt;/stat field 22, clock ticks after boot.</param>
/// <param name="BootId">/proc/sys/kernel/random/boot_id when it was started.</param>
/// <param name="StartedAt">Wall clock, for people reading the file.</param>
public sealed record ChildProcessRecord(int Pid, int ProcessGroup, string Program, ulong StartTime, string BootId, DateTimeOffset StartedAt);

internal sealed class ChildProcessFile
{
    public List<ChildProcessRecord> Children { get; set; } = [];
}

[JsonSerializable(typeof(ChildProcessFile))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class ChildProcessJsonContext : JsonSerializerContext;
