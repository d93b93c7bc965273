using Appliance.Cameras;
using Appliance.Media.Ffmpeg;

namespace Appliance.Media.Recordings;

/// <summary>Resuming: failed, and waiting to go on in a new segment (recording.restart_on_failure).</summary>
public enum RecordingState { Starting, Recording, Resuming, Stopped, Failed }

/// <summary>One recording of one camera: its FFmpeg process and the segment files it wrote.</summary>
public sealed class RecordingSession
{
    internal RecordingSession(Camera camera, string format, TimeSpan? duration, string directory, DateTimeOffset started)
        : this(camera, RecordingOptions.StreamCopy(format), duration, directory, started)
    {
    }

    internal RecordingSession(Camera camera, RecordingOptions options, TimeSpan? duration, string directory, DateTimeOffset started)
    {
        Camera = camera;
        Options = options;
        Format = options.Container.Name;
        Duration = duration;
        Directory = directory;
        StartTime = started;
        SessionId = Guid.NewGuid().ToString();
    }

    public string SessionId { get; }
    public Camera Camera { get; }
    /// <summary>What the client asked for and what is used (codec, quality, container).</summary>
    public RecordingOptions Options { get; }
    /// <summary>The container written, as its files are named: mp4, mkv or ts.</summary>
    public string Format { get; }
    public TimeSpan? Duration { get; }
    public string Directory { get; }
    public DateTimeOffset StartTime { get; }
    public DateTimeOffset? EndTime { get; internal set; }
    public RecordingState State { get; internal set; }
    public string? Error { get; internal set; }
    /// <summary>Why it ended (null while it runs).</summary>
    public RecordingEndReason? EndReason { get; internal set; }
    /// <summary>Times it went on in a new segment after a failure.</summary>
    public int Restarts { get; internal set; }
    /// <summary>The fsync policy's work for this recording.</summary>
    public SegmentSync Sync { get; } = new();

    internal FfmpegProcess? Process { get => Volatile.Read(ref _process); set => Volatile.Write(ref _process, value); }
    private FfmpegProcess? _process;

    /// <summary>Set (before the process is stopped) by whoever ends the recording from outside the watcher.</summary>
    internal bool StopRequested { get => Volatile.Read(ref _stopRequested); set => Volatile.Write(ref _stopRequested, value); }
    private bool _stopRequested;

    /// <summary>False from the moment the camera is unplugged until it is back.</summary>
    internal bool CameraPresent { get => Volatile.Read(ref _cameraPresent); set => Volatile.Write(ref _cameraPresent, value); }
    private bool _cameraPresent = true;

    /// <summary>Set before the process is stopped when the end is a failure the watcher should report (camera pulled).</summary>
    internal RecordingEndReason? PendingFailure { get; set; }

    /// <summary>Cancelled when the recording is stopped: a resume in progress gives up.</summary>
    internal CancellationTokenSource Stopping { get; } = new();

    /// <summary>Released when something a resume waits for happens (the camera is back, a stop).</summary>
    internal SemaphoreSlim Wake { get; } = new(0, 1);

    internal void Nudge()
    {
        try { Wake.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Segment file names, oldest first (the first is the name start_recording returns).</summary>
    public IReadOnlyList<string> Files { get { lock (_gate) return [.. _files]; } }
    private readonly List<string> _files = [];
    private readonly Lock _gate = new();

    public string FileName { get { lock (_gate) return _files.Count > 0 ? _files[0] : ""; } }

    /// <summary>The segment being written now.</summary>
    public string? CurrentFile { get { lock (_gate) return State is RecordingState.Recording or RecordingState.Starting && _files.Count > 0 ? _files[^1] : null; } }

    /// <summary>The newest segment file, whatever the state (the one a failure cut short).</summary>
    public string? LastFile { get { lock (_gate) return _files.Count > 0 ? _files[^1] : null; } }

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
        var since = StartTime.UtcDateTime.AddSeconds(-1);
        var found = new DirectoryInfo(Directory).EnumerateFiles(Camera.Id.FilePrefix + "*." + Format)
            .Where(f => f.CreationTimeUtc >= since || f.LastWriteTimeUtc >= since)
            .Select(f => f.Name)
            .Where(n => MediaFileNames.IsRecordingSegment(Camera.Id, n))
            .Order(StringComparer.Ordinal);
        List<string>? added = null;
        lock (_gate)
        {
            foreach (var name in found)
                if (!_files.Contains(name) && !_preexisting.Contains(name))
                {
                    _files.Add(name);
                    (added ??= []).Add(name);
                }
        }
        if (added is not null && FileAdded is { } tell) foreach (var name in added) tell(name);
    }

    /// <summary>Told each new segment file's name once, when it is first seen (outside the lock).</summary>
    internal Action<string>? FileAdded { get; set; }

    /// <summary>Drops a segment that was removed (it held no frame): it is no longer one of the recording's files.</summary>
    internal void Forget(string name)
    {
        lock (_gate)
        {
            _files.Remove(name);
            _preexisting.Add(name); // never picked up again, should the name come back
        }
    }

    private readonly HashSet<string> _preexisting = new(StringComparer.Ordinal);

    internal void RememberExisting()
    {
        foreach (var f in new DirectoryInfo(Directory).EnumerateFiles(Camera.Id.FilePrefix + "*")) _preexisting.Add(f.Name);
    }
}
