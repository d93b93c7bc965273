using Appliance.Cameras;
using Appliance.Media.Process;

namespace Appliance.Media.Recordings;

public enum RecordingState { Starting, Recording, Stopped, Failed }

/// <summary>One recording of one camera: its FFmpeg process and the segment files it wrote.</summary>
public sealed class RecordingSession
{
    internal RecordingSession(Camera camera, string format, TimeSpan? duration, string directory, DateTimeOffset started)
    {
        Camera = camera;
        Format = format;
        Duration = duration;
        Directory = directory;
        StartTime = started;
        SessionId = Guid.NewGuid().ToString();
    }

    public string SessionId { get; }
    public Camera Camera { get; }
    public string Format { get; }
    public TimeSpan? Duration { get; }
    public string Directory { get; }
    public DateTimeOffset StartTime { get; }
    public DateTimeOffset? EndTime { get; internal set; }
    public RecordingState State { get; internal set; }
    public string? Error { get; internal set; }
    internal FfmpegProcess? Process { get; set; }
    internal bool StopRequested { get; set; }

    /// <summary>Segment file names, oldest first (the first is the name start_recording returns).</summary>
    public IReadOnlyList<string> Files { get { lock (_gate) return [.. _files]; } }
    private readonly List<string> _files = [];
    private readonly Lock _gate = new();

    public string FileName { get { lock (_gate) return _files.Count > 0 ? _files[0] : ""; } }

    /// <summary>The segment being written now.</summary>
    public string? CurrentFile { get { lock (_gate) return State is RecordingState.Recording or RecordingState.Starting && _files.Count > 0 ? _files[^1] : null; } }

    public TimeSpan Elapsed => (EndTime ?? DateTimeOffset.UtcNow) - StartTime;

    public long TotalBytes
    {
        get
        {
            lock (_gate) return _files.Sum(f => new FileInfo(Path.Combine(Directory, f)) is { Exists: true } i ? i.Length : 0);
        }
    }

    /// <summary>Picks up segment files FFmpeg has created since the last look.</summary>
    internal void RefreshFiles()
    {
        var prefix = Camera.StreamPath + "_";
        var since = StartTime.UtcDateTime.AddSeconds(-1);
        var found = new DirectoryInfo(Directory).EnumerateFiles(prefix + "*." + Format)
            .Where(f => f.CreationTimeUtc >= since || f.LastWriteTimeUtc >= since)
            .Select(f => f.Name)
            .Where(n => IsOurSegment(n, prefix))
            .Order(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var name in found) if (!_files.Contains(name) && !_preexisting.Contains(name)) _files.Add(name);
        }
    }

    private readonly HashSet<string> _preexisting = new(StringComparer.Ordinal);

    internal void RememberExisting()
    {
        var prefix = Camera.StreamPath + "_";
        foreach (var f in new DirectoryInfo(Directory).EnumerateFiles(prefix + "*")) _preexisting.Add(f.Name);
    }

    // camera0_2026-11-25_10-00-00.mp4: the stream path, then a timestamp (not camera0_snapshot_...).
    private static bool IsOurSegment(string name, string prefix) =>
        name.Length > prefix.Length && char.IsAsciiDigit(name[prefix.Length]);
}
