using System.Diagnostics;
using System.Text.Json;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>One take_snapshot or bare FFmpeg read: when it was sent (ms into the window), how long it took.</summary>
public readonly record struct SnapshotSample(int Camera, int Round, bool Ok, double Ms, string FileName, string? Error);

/// <summary>
/// One camera's snapshots during the recordings, on its own connection: every <see cref="Period"/>
/// a take_snapshot, and half a period later (whether or not the snapshot has returned) a bare FFmpeg
/// read of the same stream with the service's arguments. The publishers' GOP is 15 frames at 15 fps, one second: half a period later is the same
/// point of the GOP, so both wait as long for a keyframe and the pair differs by what the service adds
/// (RPC, its "is the stream live?" query, waiting for an FFmpeg slot, writing the file).
/// </summary>
public sealed class SnapshotLoop(int camera, RpcClient client, Func<IReadOnlyList<string>> bareArguments)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public List<SnapshotSample> Service { get; } = [];
    public List<SnapshotSample> Bare { get; } = [];

    /// <summary>Rounds not taken because the previous one (snapshot or bare read) ran past their time.</summary>
    public int Skipped { get; private set; }

    /// <param name="phase">Offset of this camera's first round, so the cameras do not all ask at the same instant.</param>
    /// <param name="until">Stopwatch timestamp after which no round starts.</param>
    public async Task RunAsync(long start, TimeSpan phase, long until, CancellationToken cancellation)
    {
        var device = ScaleConfig.Device(camera);
        // Bounded by the deadline: at most one round per period. One request at a time on the
        // connection, as a client would: a round that ran long makes the client skip the slots it missed.
        for (var round = 0; round < 100_000; round++)
        {
            var due = start + Ticks(phase + round * Period);
            var now = Stopwatch.GetTimestamp();
            if (due < now)
            {
                var missed = (int)((now - due) / Ticks(Period)) + 1;
                round += missed;
                Skipped += missed;
                due = start + Ticks(phase + round * Period);
            }
            if (due >= until) break;
            await DelayUntilAsync(due, cancellation);
            var snapshot = TakeSnapshotAsync(device, round, cancellation);
            // On time even while the snapshot still runs: the same GOP phase is the point of the pair.
            await DelayUntilAsync(due + Ticks(Period / 2), cancellation);
            var bare = await BareSnapshotRead.RunAsync(bareArguments(), cancellation);
            Bare.Add(new SnapshotSample(camera, round, bare.Ok, bare.Ms, "", bare.Error));
            Service.Add(await snapshot);
        }
    }

    private async Task<SnapshotSample> TakeSnapshotAsync(string device, int round, CancellationToken cancellation)
    {
        try
        {
            var reply = await client.CallAsync("take_snapshot", json => json.WriteString("device"u8, device), wantDocument: true, CallTimeout, cancellation);
            using var document = reply.Document;
            var ms = reply.Latency.TotalMilliseconds;
            if (reply.IsError) return new SnapshotSample(camera, round, false, ms, "", $"error {reply.ErrorCode} {reply.ErrorMessage}");
            var result = document!.RootElement.GetProperty("result");
            var file = result.TryGetProperty("filename", out var f) ? f.GetString() ?? "" : "";
            var ok = result.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.True;
            return new SnapshotSample(camera, round, ok, ms, file, ok ? null : $"status {result.GetProperty("status").GetString()}: {(result.TryGetProperty("error", out var e) ? e.ToString() : "")}");
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
        {
            return new SnapshotSample(camera, round, false, double.NaN, "", $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    private static async Task DelayUntilAsync(long due, CancellationToken cancellation)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellation);
    }
}
