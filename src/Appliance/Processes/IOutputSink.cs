namespace Appliance.Processes;

/// <summary>
/// Reads a child's stdout as it arrives, straight from the pump's pooled buffer (no copy, no
/// string per chunk): FFmpeg's <c>-progress</c> blocks, RAUC's progress lines. Called from one
/// pump task at a time; <see cref="Complete"/> once at EOF.
/// </summary>
public interface IOutputSink
{
    void Append(ReadOnlySpan<byte> chunk);

    /// <summary>The stream ended: an unterminated last line is complete now.</summary>
    void Complete();
}
