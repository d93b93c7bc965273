using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Integration;

/// <summary>Keep-alive pings and shutdown, seen from real sockets.</summary>
public class ConnectionLifecycleTests
{
    [Test]
    public async Task APeerThatNeverAnswersPingsIsDropped()
    {
        // ping_timeout + send_timeout to answer (the pong may wait behind requests under backpressure).
        await using var host = await RunningHost.StartAsync(serverExtra: "ping_interval = 1\nping_timeout = 1\nsend_timeout = 1\nauth_timeout = 60");
        // A hand-made WebSocket client on a raw TCP socket: it completes the upgrade, then never
        // reads or answers anything, like a laptop that went to sleep.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", host.HttpUri.Port);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var buffer = new byte[1024];
        var n = await stream.ReadAsync(buffer);
        Assert.That(Encoding.ASCII.GetString(buffer, 0, n), Does.StartWith("HTTP/1.1 101"));
        Assert.That(host.Host.Connections.Count, Is.EqualTo(1));

        var sw = Stopwatch.StartNew();
        while (host.Host.Connections.Count > 0 && sw.Elapsed < TimeSpan.FromSeconds(15)) await Task.Delay(50);
        Assert.That(host.Host.Connections.Count, Is.EqualTo(0), "the silent peer was not dropped");
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(6)));
    }

    [Test]
    public async Task AnsweringClientsStayConnectedAcrossPings()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "ping_interval = 1\nping_timeout = 1\nsend_timeout = 1");
        await using var client = await host.ConnectAsync(Role.Viewer);   // ClientWebSocket answers pings while receiving
        await Task.Delay(3500);
        using var reply = await client.CallAsync("ping");
        Assert.That(reply.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task ABackpressuredClientThatKeepsReadingOutlivesManyPingTimeouts()
    {
        // Pings every second, 1 s to answer; the client pipelines 3,000 requests and reads the replies
        // slowly (~6 s): the server stops reading from it while its 16 reply slots are full, so its
        // pongs wait behind its own requests; the keep-alive must not take that for a dead peer.
        await using var host = await RunningHost.StartAsync(serverExtra: "ping_interval = 1\nping_timeout = 1\nsend_queue_capacity = 16",
            securityExtra: "rate_limit_burst = 1000000\nrate_limit_per_minute = 60000000");
        using var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Authorization", "Bearer " + host.Token(Role.Viewer));
        await ws.ConnectAsync(host.WebSocketUri, CancellationToken.None);
        const int requests = 3000;
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < requests; i++)
                await ws.SendAsync(Encoding.ASCII.GetBytes($$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        });
        var buffer = new byte[4096];
        var ids = new List<int>();
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (ids.Count < requests)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close) break;
            using var reply = System.Text.Json.JsonDocument.Parse(buffer.AsMemory(0, r.Count));
            ids.Add(reply.RootElement.GetProperty("id").GetInt32());
            if (ids.Count % 2 == 0) await Task.Delay(1);
        }
        await sender;

        Assert.That(ids, Is.EqualTo(Enumerable.Range(0, requests)), "every reply, in order");
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromSeconds(3)), "the reading took several ping timeouts");
        Assert.That((ws.State, host.Host.Metrics.CutOffClients), Is.EqualTo((WebSocketState.Open, 0L)));
    }

    [Test]
    public async Task ShutdownSaysGoingAwayToClientsAndFinishesPromptly()
    {
        var host = await RunningHost.StartAsync();
        await using var client = await host.ConnectAsync(Role.Viewer);
        var sw = Stopwatch.StartNew();
        await host.DisposeAsync();
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)));
        await client.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable));
    }
}
