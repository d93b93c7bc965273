using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Storage;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Recordings;

/// <summary>What the service knows of one recording file it wrote, as get_recording_info and list_recordings report it.</summary>
/// <param name="Reason">How its writing ended (the last segment of a session, or one a failure cut short); null while it is
/// written, and for a segment that simply rotated.</param>
/// <param name="EndedAt">When the entry was last written: the end, or when the file was first seen.</param>
/// <param name="Options">The recording's options as the client sent them (null in entries written before options existed).</param>
public sealed record RecordingEnd(string File, string SessionId, string? Reason, string? Error, DateTimeOffset EndedAt, RequestedOptions? Options = null);

/// <summary>
/// Remembers, across restarts, the options each recording file was written with (from when the
/// recorder first sees it) and why its writing ended (the last segment of a session, and each
/// segment a failure cut short): <c>state_dir/recording-ends.json</c>, replaced atomically.
/// Bounded: the newest <see cref="Capacity"/> entries, and entries of deleted files are dropped
/// when the log is written.
/// </summary>
public sealed class RecordingEndLog
{
    public const int Capacity = 1024;
    private readonly string _path;
    private readonly string _recordings;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly Lock _writeGate = new();
    private readonly Dictionary<string, RecordingEnd> _byFile = new(StringComparer.Ordinal);

    public RecordingEndLog(string stateDir, string recordingsDir, ILogger log)
    {
        _path = Path.Combine(stateDir, "recording-ends.json");
        _recordings = recordingsDir;
        _log = log;
        try
        {
            if (File.Exists(_path) && JsonSerializer.Deserialize(File.ReadAllBytes(_path), RecordingEndJsonContext.Default.ListRecordingEnd) is { } saved)
                foreach (var e in saved.TakeLast(Capacity)) _byFile[e.File] = e;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // A lost log costs only the reasons of old files; the recordings themselves are untouched.
            _log.LogWarning("Could not read {Path} ({Error}); recording end reasons start afresh", _path, ex.Message);
        }
    }

    public RecordingEnd? Find(string file)
    {
        lock (_gate) return _byFile.GetValueOrDefault(file);
    }

    /// <summary>Records how a file's writing ended (written before this returns). Options noted earlier are kept.</summary>
    public void Record(RecordingEnd end)
    {
        lock (_gate)
        {
            var options = end.Options ?? _byFile.GetValueOrDefault(end.File)?.Options;
            _byFile.Remove(end.File);
            _byFile[end.File] = end with { Options = options };
            Prune();
        }
        Save();
    }

    /// <summary>A new file of a recording: its options are remembered (the log is written in the
    /// background: this runs as the recorder waits for its first file).</summary>
    public void NoteFile(string file, string sessionId, RequestedOptions options, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_byFile.ContainsKey(file)) return;
            _byFile[file] = new RecordingEnd(file, sessionId, null, null, at, options);
            Prune();
        }
        _ = Task.Run(Save);
    }

    // Under _gate: entries of deleted files go, then the oldest beyond the capacity.
    private void Prune()
    {
        foreach (var gone in _byFile.Keys.Where(f => !File.Exists(Path.Combine(_recordings, f))).ToList()) _byFile.Remove(gone);
        while (_byFile.Count > Capacity) _byFile.Remove(_byFile.Values.MinBy(e => e.EndedAt)!.File);
    }

    // One writer at a time, each writing the newest state: a background save never puts back an older one.
    private void Save()
    {
        lock (_writeGate)
        {
            List<RecordingEnd> snapshot;
            lock (_gate) snapshot = [.. _byFile.Values.OrderBy(e => e.EndedAt)];
            try
            {
                AtomicFile.Write(_path, JsonSerializer.SerializeToUtf8Bytes(snapshot, RecordingEndJsonContext.Default.ListRecordingEnd));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log.LogWarning("Could not save {Path}: {Error}", _path, ex.Message);
            }
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<RecordingEnd>))]
internal sealed partial class RecordingEndJsonContext : JsonSerializerContext;
