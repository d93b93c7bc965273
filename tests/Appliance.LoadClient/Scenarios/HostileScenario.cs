using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// hostile: what an attacker on the LAN (or a careless client) can make the service spend.
/// 1. The batch attack before authentication: <see cref="AttackConnections"/> sockets each send
///    1 MiB of <c>[1,1,1,…]</c>; then authenticated clients send the same as a batch. Reports the
///    service's VmRSS before and after, and the largest reply any of them got.
/// 2. How long a socket that never authenticates survives (server.auth_timeout, default 10 s).
/// 3. Pipelined throughput on one connection: <see cref="Pipelined"/> pings sent without waiting,
///    read concurrently; every reply must arrive and the connection must stay open.
/// </summary>
public sealed class HostileScenario : IScenario
{
    public const int AttackConnections = 20;
    public const int AttackRounds = 20;
    public const int Pipelined = 5000;
    public string Name => "hostile";

    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(180);

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        // The service's defaults for everything under test; rate limits as shipped so the attack meets them.
        await using var service = await RunningService.StartAsync(options.Binary, cancellation, extraToml: """
            [mediamtx]
            api_port = 1
            """);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
        await BatchAttackAsync(service, report, cancellation);
        await UnauthenticatedSurvivalAsync(service, report, cancellation);
        await PipelinedAsync(service, report, cancellation);
    }

    private async Task BatchAttackAsync(RunningService service, Report report, CancellationToken cancellation)
    {
        var frame = Encoding.ASCII.GetBytes("[" + string.Join(",", Enumerable.Repeat("1", 1024 * 1024 / 2 - 1)) + "]");
        await using var observer = await service.ConnectAsync(cancellation);
        var heapBefore = await HeapAsync(observer, cancellation);
        var threadsBefore = service.Process.Threads();
        var before = service.Process.RssBytes() ?? 0;
        var peak = before;
        var largestReply = 0L;
        var closes = new Dictionary<string, int>();
        for (var round = 0; round < AttackRounds; round++)
        {
            var sockets = await Task.WhenAll(Enumerable.Range(0, AttackConnections).Select(async _ =>
            {
                var s = new ClientWebSocket();
                await s.ConnectAsync(service.Config.WebSocketUri, cancellation);
                return s;
            }));
            var outcomes = await Task.WhenAll(sockets.Select(s => SendAndReadAsync(s, frame, cancellation)));
            foreach (var (reply, close) in outcomes)
            {
                largestReply = Math.Max(largestReply, reply);
                closes[close] = closes.GetValueOrDefault(close) + 1;
            }
            peak = Math.Max(peak, service.Process.RssBytes() ?? 0);
            foreach (var s in sockets) s.Dispose();
        }
        report.Add(Name, "service VmRSS before the batch attack", Report.MiB(before));
        report.Add(Name, "managed heap / threads before → after the unauthenticated rounds",
            $"{Report.MiB(heapBefore)} / {threadsBefore} → {Report.MiB(await HeapAsync(observer, cancellation))} / {service.Process.Threads()}");
        report.Add(Name, $"VmRSS peak during {AttackRounds} rounds × {AttackConnections} unauthenticated sockets × 1 MiB [1,1,…]", Report.MiB(peak));
        report.Add(Name, "largest reply frame an unauthenticated attacker got", $"{largestReply} bytes");
        report.Add(Name, "how the attack sockets ended", string.Join("; ", closes.Select(c => $"{c.Value}× {c.Key}")));

        // Authenticated: the same megabyte is a 524,287-element batch: one -32600 error, not 524,287.
        var authed = new ClientWebSocket();
        authed.Options.SetRequestHeader("Authorization", "Bearer " + service.Config.AdminToken);
        await authed.ConnectAsync(service.Config.WebSocketUri, cancellation);
        var (authedReply, authedClose) = await SendAndReadAsync(authed, frame, cancellation, expectClose: false);
        authed.Dispose();
        report.Add(Name, "authenticated 1 MiB batch of 524,287 elements: reply size", $"{authedReply} bytes ({authedClose})");
        await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        report.Add(Name, "service VmRSS after the attack (1 s later)", Report.MiB(service.Process.RssBytes() ?? 0));
        if (peak - before > 64L * 1024 * 1024) report.Fail(Name, $"the batch attack grew the service by {Report.MiB(peak - before)} (budget 64 MiB)");
    }

    private static async Task<long> HeapAsync(RpcClient client, CancellationToken cancellation)
    {
        using var metrics = await RunningService.MetricsAsync(client, cancellation);
        return metrics?.RootElement.GetProperty("result").GetProperty("runtime").GetProperty("heap_bytes").GetInt64() ?? -1;
    }

    // Sends one frame, then reads until a reply frame or the close: (largest reply size, how it ended).
    private static async Task<(long Reply, string Close)> SendAndReadAsync(ClientWebSocket socket, byte[] frame, CancellationToken cancellation, bool expectClose = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        long size = 0;
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, timeout.Token);
            while (true)
            {
                var r = await socket.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == WebSocketMessageType.Close) return (size, $"close {(int?)socket.CloseStatus} {socket.CloseStatusDescription}");
                size += r.Count;
                if (r.EndOfMessage && !expectClose) return (size, "reply");
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            return (size, socket.CloseStatus is { } s ? $"close {(int)s} {socket.CloseStatusDescription}" : ex.GetType().Name);
        }
    }

    private async Task UnauthenticatedSurvivalAsync(RunningService service, Report report, CancellationToken cancellation)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(service.Config.WebSocketUri, cancellation);
        var opened = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var buffer = new byte[1024];
        string how;
        try
        {
            var r = await socket.ReceiveAsync(buffer, timeout.Token);
            how = r.MessageType == WebSocketMessageType.Close ? $"close {(int?)socket.CloseStatus} \"{socket.CloseStatusDescription}\"" : "a data frame";
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            how = ex.GetType().Name;
        }
        report.Add(Name, "an unauthenticated idle socket survives (server.auth_timeout = 10 s)", $"{Report.Ms(Stopwatch.GetElapsedTime(opened))}, then {how}");
    }

    private async Task PipelinedAsync(RunningService service, Report report, CancellationToken cancellation)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + service.Config.AdminToken);
        await socket.ConnectAsync(service.Config.WebSocketUri, cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var started = Stopwatch.GetTimestamp();
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            var replies = 0;
            var errors = 0;
            while (replies < Pipelined)
            {
                var r = await socket.ReceiveAsync(buffer, timeout.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                if (!r.EndOfMessage) continue;
                replies++;
                if (buffer.AsSpan(0, r.Count).IndexOf("\"error\""u8) >= 0) errors++;
            }
            return (replies, errors);
        }, timeout.Token);
        for (var i = 0; i < Pipelined; i++)
            await socket.SendAsync(Encoding.ASCII.GetBytes($$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}"""), WebSocketMessageType.Text, true, timeout.Token);
        var (received, errorReplies) = await reader;
        var elapsed = Stopwatch.GetElapsedTime(started);
        report.Add(Name, $"{Pipelined} pipelined pings on one connection (rate limit set high, as in every scenario)",
            $"{received} replies ({errorReplies} errors) in {Report.Ms(elapsed)}: {Report.Number(received / elapsed.TotalSeconds)} replies/s; socket {socket.State}");
        if (received < Pipelined || socket.State != WebSocketState.Open) report.Fail(Name, $"pipelined: {received} of {Pipelined} replies, socket {socket.State}");
    }
}
