using System.Text.Json;
using System.Text.Json.Serialization;
using Appliance.Storage;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Recordings;

/// <summary>How the writing of one recording file ended, as get_recording_info reports it.</summary>
public sealed record RecordingEnd(string File, string SessionId, string Reason, string? Error, DateTimeOffset EndedAt);

/// <summary>
/// Remembers why each recording file ended (the last segment of a session, and each segment a
/// failure cut short), across restarts: <c>state_dir/recording-ends.json</c>, replaced atomically.
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

    public void Record(RecordingEnd end)
    {
        List<RecordingEnd> snapshot;
        lock (_gate)
        {
            _byFile.Remove(end.File);
            _byFile[end.File] = end;
            foreach (var gone in _byFile.Keys.Where(f => !File.Exists(Path.Combine(_recordings, f))).ToList()) _byFile.Remove(gone);
            while (_byFile.Count > Capacity) _byFile.Remove(_byFile.Values.MinBy(e => e.EndedAt)!.File);
            snapshot = [.. _byFile.Values.OrderBy(e => e.EndedAt)];
        }
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

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(List<RecordingEnd>))]
internal sealed partial class RecordingEndJsonContext : JsonSerializerContext;
