namespace Appliance.Media.Recordings.Repair;

/// <summary>What the torn-tail repair did to one recording.</summary>
/// <param name="OldLength">Bytes before the repair.</param>
/// <param name="NewLength">Bytes after it (equal to <paramref name="OldLength"/> when nothing was cut).</param>
/// <param name="Reason">For people: what was found (the torn box or element and its offset), or why the file is intact.</param>
public sealed record RepairResult(string Path, RecordingContainer Container, RepairOutcome Outcome, long OldLength, long NewLength, string Reason)
{
    public long BytesCut => OldLength - NewLength;

    /// <summary>True when the repair wrote to the file (cut it, or rewrote a Matroska Segment size).</summary>
    public bool Changed { get; init; }
}
