using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// events: how fast one event reaches every subscribed connection, and what each delivery costs
/// the service in allocations. For 1, 50 and 500 connections subscribed to button.pressed, a
/// separate admin connection calls press_button (no cameras, so the press does nothing but publish
/// its event) at a fixed rate. Each subscriber timestamps every button_pressed frame as it arrives;
/// the latency of a delivery is arrival minus the moment press_button was sent, so it includes the
/// request's way in (an upper bound on "event to frame on the wire"). Allocations come from
/// get_metrics runtime.allocated_bytes: the same presses are run first with the connections open but
/// not subscribed (the cost of the press itself), then subscribed; the difference divided by the
/// deliveries is the cost per delivered notification.
/// </summary>
public sealed class EventsScenario : IScenario
{
    public const int Presses = 200;
    public const int WarmUpPresses = 20;
    public static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(20);
    private static readonly int[] Tiers = [1, 50, 500];
    private const int OpenConcurrency = 50;

    public string Name => "events";

    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(300);

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        await using var service = await RunningService.StartAsync(options.Binary, cancellation, maxConnections: Tiers.Max() + 100);
        await using var trigger = await service.ConnectAsync(cancellation);
        foreach (var tier in Tiers)
            await RunTierAsync(service, trigger, tier, report, cancellation);
        if (service.Process.RssBytes() is { } rss) report.Add(Name, "service VmRSS after the event runs", Report.MiB(rss));
        await service.StopAsync(report, Name, "after event runs", cancellation);
    }

    private async Task RunTierAsync(RunningService service, RpcClient trigger, int count, Report report, CancellationToken cancellation)
    {
        var label = count == 1 ? "1 subscriber" : $"{count} subscribers";
        Console.Error.WriteLine($"  events: {label}");
        var clients = new ConcurrentBag<RpcClient>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = OpenConcurrency, CancellationToken = cancellation },
                async (_, token) => clients.Add(await service.ConnectAsync(token)));
            var subscribers = clients.Select(c => new Subscriber(c, WarmUpPresses + Presses)).ToArray();

            // Baseline: the same presses with nobody subscribed (button.pressed is not a v1 notification).
            await PressAsync(trigger, WarmUpPresses, cancellation);
            var before = await AllocatedAsync(trigger, cancellation);
            await PressAsync(trigger, Presses, cancellation);
            var baseline = await AllocatedAsync(trigger, cancellation) - before;
            if (subscribers.Any(s => s.Received > 0)) report.Observe(Name, $"{label}: a connection that never subscribed got a button_pressed notification");

            foreach (var s in subscribers) await s.SubscribeAsync(cancellation);
            var dropsBefore = await DroppedAsync(trigger, cancellation);

            await PressAsync(trigger, WarmUpPresses, cancellation);
            before = await AllocatedAsync(trigger, cancellation);
            var sent = await PressAsync(trigger, Presses, cancellation);
            var subscribed = await AllocatedAsync(trigger, cancellation) - before;

            var settle = Stopwatch.GetTimestamp();
            while (subscribers.Any(s => s.Received < WarmUpPresses + Presses) && Stopwatch.GetElapsedTime(settle) < TimeSpan.FromSeconds(5))
                await Task.Delay(20, cancellation);
            var dropped = await DroppedAsync(trigger, cancellation) - dropsBefore;

            // One sample per (press, connection); and per press, the time until the last connection had it.
            var all = new LatencyRecorder(count * Presses);
            var last = new LatencyRecorder(Presses);
            var missing = 0L;
            for (var k = 0; k < Presses; k++)
            {
                var slowest = 0L;
                foreach (var s in subscribers)
                {
                    if (s.ArrivalOf(WarmUpPresses + k) is not { } arrived) { missing++; continue; }
                    var ticks = arrived - sent[k];
                    all.Add(ticks, sent[k]);
                    slowest = Math.Max(slowest, ticks);
                }
                last.Add(slowest, sent[k]);
            }
            var summary = LatencyRecorder.Summarize([all]);
            var lastSummary = LatencyRecorder.Summarize([last]);
            report.Add(Name, $"{label}: press_button sent -> button_pressed frame received, p50 / p99 / max",
                $"{Report.Ms(summary.Percentile(50))} / {Report.Ms(summary.Percentile(99))} / {Report.Ms(summary.Max)} ({Report.Number(summary.Count)} deliveries)");
            report.Add(Name, $"{label}: per press, until the last subscriber had it, p50 / p99",
                $"{Report.Ms(lastSummary.Percentile(50))} / {Report.Ms(lastSummary.Percentile(99))}");
            report.Add(Name, $"{label}: deliveries missing / dropped by the service (get_metrics)", $"{Report.Number(missing)} / {Report.Number(dropped)}");
            report.Add(Name, $"{label}: service allocations per press, nobody subscribed (request + press + event)", Report.KiB(baseline / (double)Presses));
            var perDelivery = (subscribed - baseline) / (double)(Presses * count);
            report.Add(Name, $"{label}: service allocations per delivered notification", $"{perDelivery:0} B");
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    /// <summary>press_button n times on a fixed schedule; returns when each was sent (Stopwatch ticks).</summary>
    private static async Task<long[]> PressAsync(RpcClient trigger, int n, CancellationToken cancellation)
    {
        var sent = new long[n];
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < n; k++)
        {
            var due = start + (long)(k * Spacing.TotalSeconds * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellation);
            var reply = await trigger.CallAsync("press_button", null, wantDocument: false, RunningService.CallTimeout, cancellation);
            if (reply.IsError) throw new InvalidOperationException($"press_button: error {reply.ErrorCode} {reply.ErrorMessage}");
            sent[k] = reply.SentAt;
        }
        return sent;
    }

    private static async Task<long> AllocatedAsync(RpcClient client, CancellationToken cancellation)
    {
        using var metrics = await RunningService.MetricsAsync(client, cancellation) ?? throw new InvalidOperationException("get_metrics failed");
        return metrics.RootElement.GetProperty("result").GetProperty("runtime").GetProperty("allocated_bytes").GetInt64();
    }

    private static async Task<long> DroppedAsync(RpcClient client, CancellationToken cancellation)
    {
        using var metrics = await RunningService.MetricsAsync(client, cancellation) ?? throw new InvalidOperationException("get_metrics failed");
        return metrics.RootElement.GetProperty("result").GetProperty("events").GetProperty("notifications_dropped").GetInt64();
    }

    /// <summary>One subscribed connection: arrival time of each button_pressed frame, in order.</summary>
    private sealed class Subscriber
    {
        private readonly RpcClient _client;
        private readonly long[] _arrivals;
        private int _received;

        public Subscriber(RpcClient client, int capacity)
        {
            _client = client;
            _arrivals = new long[capacity];
            client.OnNotification = OnNotification;
        }

        public int Received => Volatile.Read(ref _received);

        public long? ArrivalOf(int index) => index < Received ? _arrivals[index] : null;

        public async Task SubscribeAsync(CancellationToken cancellation)
        {
            var reply = await _client.CallAsync("subscribe_events", json =>
            {
                json.WriteStartArray("topics"u8);
                json.WriteStringValue("button.pressed"u8);
                json.WriteEndArray();
            }, wantDocument: false, RunningService.CallTimeout, cancellation);
            if (reply.IsError) throw new InvalidOperationException($"subscribe_events: error {reply.ErrorCode} {reply.ErrorMessage}");
        }

        // On the client's read loop: one frame at a time, in arrival order.
        private void OnNotification(ReadOnlySpan<byte> message, long receivedAt)
        {
            if (message.IndexOf("\"button_pressed\""u8) < 0) return;
            var n = _received;
            if (n < _arrivals.Length) _arrivals[n] = receivedAt;
            Volatile.Write(ref _received, n + 1);
        }
    }
}
