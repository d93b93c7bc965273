namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>
/// Recorded segments "on disk": tests add them, /v3/recordings lists them and deletesegment
/// removes them. Kept across restarts, as files would be (the stand-in writes no files).
/// </summary>
internal sealed class RecordingStore
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<string, SortedSet<DateTimeOffset>> _segments = new(StringComparer.Ordinal);

    public void Add(string path, DateTimeOffset start)
    {
        lock (_gate)
        {
            if (!_segments.TryGetValue(path, out var starts)) _segments[path] = starts = [];
            starts.Add(start);
        }
    }

    /// <summary>Paths with at least one segment, sorted by name, with their segment starts.</summary>
    public List<(string Path, List<DateTimeOffset> Segments)> All()
    {
        lock (_gate) return _segments.Where(s => s.Value.Count > 0).Select(s => (s.Key, s.Value.ToList())).ToList();
    }

    public List<DateTimeOffset> Of(string path)
    {
        lock (_gate) return _segments.TryGetValue(path, out var starts) ? starts.ToList() : [];
    }

    public bool Delete(string path, DateTimeOffset start)
    {
        lock (_gate) return _segments.TryGetValue(path, out var starts) && starts.Remove(start);
    }
}
