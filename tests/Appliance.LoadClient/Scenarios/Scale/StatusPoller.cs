using System.Diagnostics;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// A dashboard-like client: every <see cref="Period"/> it calls get_camera_list, get_status and ping,
/// one after the other on its own connection (which one goes first rotates). ping does no work in the service, so its latency beside
/// the other two is the machine's and the RPC path's own noise.
/// </summary>
public sealed class StatusPoller(RpcClient client)
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);
    public static readonly string[] Methods = ["get_camera_list", "get_status", "ping"];

    public LatencyRecorder[] Latencies { get; } = [.. Methods.Select(_ => new LatencyRecorder(1024))];
    public int Errors { get; private set; }
    public int Skipped { get; private set; }
    public string? FirstError { get; private set; }

    public async Task RunAsync(TimeSpan phase, long until, CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp() + (long)(phase.TotalSeconds * Stopwatch.Frequency);
        // Bounded by the deadline: one round per period.
        for (var round = 0; round < 1_000_000; round++)
        {
            var due = start + (long)(round * Period.TotalSeconds * Stopwatch.Frequency);
            var now = Stopwatch.GetTimestamp();
            if (due < now)
            {
                // A round that ran long: skip the slots it missed rather than fire back to back.
                var missed = (int)((now - due) / (long)(Period.TotalSeconds * Stopwatch.Frequency)) + 1;
                round += missed;
                Skipped += missed;
                due = start + (long)(round * Period.TotalSeconds * Stopwatch.Frequency);
            }
            if (due >= until) break;
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellation);
            // The first call of a round may pay for waking an idle thread; rotate which method that is.
            for (var k = 0; k < Methods.Length; k++)
            {
                var m = (round + k) % Methods.Length;
                try
                {
                    var reply = await client.CallAsync(Methods[m], null, wantDocument: false, CallTimeout, cancellation);
                    if (reply.IsError) Fail($"{Methods[m]}: error {reply.ErrorCode} {reply.ErrorMessage}");
                    else Latencies[m].Add(reply.ReceivedAt - reply.SentAt, reply.SentAt);
                }
                catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException)
                {
                    Fail($"{Methods[m]}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
    }

    private void Fail(string error)
    {
        Errors++;
        FirstError ??= error;
    }
}
