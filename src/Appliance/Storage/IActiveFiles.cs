namespace Appliance.Storage;

/// <summary>
/// Files something is still writing (a recording in progress). Deletion by a client, retention
/// and <see cref="RetentionSweeper.FreeSpaceAsync"/> never remove such a file. Implemented by the
/// recordings subsystem; it is asked with the file's full path.
/// </summary>
public interface IActiveFiles
{
    bool IsBeingWritten(string fullPath);
}

/// <summary>Nothing is being written (no recorder wired in).</summary>
public sealed class NoActiveFiles : IActiveFiles
{
    public static readonly NoActiveFiles Instance = new();

    public bool IsBeingWritten(string fullPath) => false;
}
