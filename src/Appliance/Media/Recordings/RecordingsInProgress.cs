using System.Collections.Concurrent;
using Appliance.Storage;

namespace Appliance.Media.Recordings;

/// <summary>
/// The recordings running now, at most one per camera. The recorder adds and removes them; storage
/// (the catalog, retention, delete) asks it which files are being written, so it never deletes the
/// segment of a recording in progress. Its own object, shared by both, so that neither has to be
/// built before the other.
/// </summary>
public sealed class RecordingsInProgress : IActiveFiles
{
    private readonly ConcurrentDictionary<string, RecordingSession> _byDevice = new(StringComparer.Ordinal);

    public RecordingSession? GetValueOrDefault(string device) => _byDevice.GetValueOrDefault(device);

    public bool TryGetValue(string device, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RecordingSession? session) =>
        _byDevice.TryGetValue(device, out session);

    public IReadOnlyCollection<RecordingSession> Values => [.. _byDevice.Values];

    public IReadOnlyList<string> Devices => [.. _byDevice.Keys];

    /// <summary>False when the camera records already.</summary>
    internal bool TryAdd(RecordingSession session) => _byDevice.TryAdd(session.Camera.Device, session);

    /// <summary>Removes exactly this session (not a newer one of the same camera); false when it was not there.</summary>
    internal bool TryRemove(RecordingSession session) =>
        _byDevice.TryRemove(new KeyValuePair<string, RecordingSession>(session.Camera.Device, session));

    /// <summary>True for every segment of a running recording (retention and delete must leave them
    /// alone: freeing space by eating the recording in progress would defeat it).</summary>
    public bool IsBeingWritten(string fullPath)
    {
        var full = Path.GetFullPath(fullPath);
        return _byDevice.Values.Any(s => s.Files.Any(f => string.Equals(Path.GetFullPath(Path.Combine(s.Directory, f)), full, StringComparison.Ordinal)));
    }
}
