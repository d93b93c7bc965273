using System.Text.Json;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// What one subscribed connection received, frame by frame on its read loop: every notification
/// counted, and the recording and snapshot ones kept as keys (recording id + status, recording id +
/// progress duration, snapshot file name) so the connections can be compared with each other and
/// with what the scenario knows happened. Bounded: at most <see cref="MaxKeys"/> keys.
/// </summary>
public sealed class EventTally
{
    public const int MaxKeys = 200_000;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private long _frames;
    private long _unparsed;

    public long Frames => Interlocked.Read(ref _frames);
    public long Unparsed => Interlocked.Read(ref _unparsed);

    public void Attach(RpcClient client) => client.OnNotification = OnFrame;

    public bool Has(string key)
    {
        lock (_gate) return _keys.Contains(key);
    }

    public HashSet<string> Keys()
    {
        lock (_gate) return [.. _keys];
    }

    public static string Recording(string recordingId, string status) => $"rec {recordingId} {status}";
    public static string Snapshot(string fileName) => $"snap {fileName}";

    private void OnFrame(ReadOnlySpan<byte> message, long receivedAt)
    {
        Interlocked.Increment(ref _frames);
        string? key;
        try
        {
            key = KeyOf(message);
        }
        catch (JsonException)
        {
            Interlocked.Increment(ref _unparsed);
            return;
        }
        if (key is null) return;
        lock (_gate)
        {
            if (_keys.Count < MaxKeys) _keys.Add(key);
        }
    }

    // Only the recording and snapshot notifications carry identities the scenario can check.
    private static string? KeyOf(ReadOnlySpan<byte> message)
    {
        var isRecording = message.IndexOf("\"recording_status_update\""u8) >= 0;
        var isProgress = !isRecording && message.IndexOf("\"recording_progress_update\""u8) >= 0;
        var isSnapshot = !isRecording && !isProgress && message.IndexOf("\"snapshot_taken\""u8) >= 0;
        if (!isRecording && !isProgress && !isSnapshot) return null;
        using var document = JsonDocument.Parse(message.ToArray());
        if (!document.RootElement.TryGetProperty("params", out var p)) return null;
        if (isSnapshot) return Snapshot(p.GetProperty("filename").GetString() ?? "");
        if (isRecording) return Recording(p.GetProperty("recording_id").GetString() ?? "", p.GetProperty("status").GetString() ?? "");
        return $"progress {p.GetProperty("session_id").GetString()} {p.GetProperty("duration").GetRawText()}";
    }
}
