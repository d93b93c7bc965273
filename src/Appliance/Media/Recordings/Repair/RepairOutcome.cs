namespace Appliance.Media.Recordings.Repair;

/// <summary>What <see cref="TornTailRepair"/> found in a recording, and whether it changed it.</summary>
public enum RepairOutcome
{
    /// <summary>Every box/element is complete and holds media: the file was left byte-identical.</summary>
    Intact,

    /// <summary>The tail was torn: the file was cut after its last complete fragment (cluster), so it
    /// plays to that point without errors. A Matroska Segment size the cut made wrong was rewritten.</summary>
    Trimmed,

    /// <summary>The header (ftyp+moov, or EBML+Info+Tracks) is complete but no fragment (cluster)
    /// is: the file holds no frames. Anything after the header was cut; the caller decides whether
    /// to keep such a file.</summary>
    NoFragments,

    /// <summary>The header itself is incomplete (killed before it reached the disk, or zero-filled by
    /// a power cut): nothing can play it. The file was left untouched; the caller decides.</summary>
    Unplayable,

    /// <summary>Neither an ISO BMFF (MP4), a Matroska file nor an MPEG transport stream: left untouched.</summary>
    NotRecognised,

    /// <summary>Set by <see cref="RecordingRecovery"/> only: the file could not be opened or read
    /// (permissions, I/O error). <see cref="TornTailRepair"/> itself throws in that case.</summary>
    Unreadable,
}

/// <summary>The container a recording turned out to be (from its first bytes, not its name).</summary>
public enum RecordingContainer
{
    Unknown,
    Mp4,
    Matroska,
    MpegTs,
}
