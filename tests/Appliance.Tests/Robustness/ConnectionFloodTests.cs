using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>Connection floods against the exact limits: server.max_connections under concurrent
/// upgrades (503 beyond), server.max_connections_per_address with loopback counted (429 beyond), and
/// anonymous sockets closed with 1008 after server.auth_timeout.</summary>
public class ConnectionFloodTests
{
    private static async Task WaitUntil(Func<bool> condition, double seconds)
    {
        var sw = Stopwatch.StartNew();
        while (!condition() && sw.Elapsed.TotalSeconds < seconds) await Task.Delay(20);
    }

    private static async Task CloseAll(IEnumerable<ClientWebSocket> sockets)
    {
        await Task.WhenAll(sockets.Select(async s =>
        {
            using var t = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try { await s.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", t.Token); } catch (Exception) { }
            s.Dispose();
        }));
    }

    [Test]
    public async Task HundredFiftyConcurrentUpgradesAgainstAHundredSlots()
    {
        // max_http_connections is raised so that Kestrel's own limit on handshakes in progress is not what refuses.
        await using var host = await RunningHost.StartAsync(serverExtra: "max_connections = 100\nmax_http_connections = 1000\nauth_timeout = 60");
        using var gate = new SemaphoreSlim(0);
        var attempts = Enumerable.Range(0, 150).Select(_ => Task.Run(async () =>
        {
            await gate.WaitAsync();
            return await RawSocket.TryConnectAsync(host.WebSocketUri);
        })).ToArray();
        gate.Release(150);
        var results = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromSeconds(30));
        var live = results.Where(r => r.Socket is not null).Select(r => r.Socket!).ToList();
        try
        {
            var statuses = results.Where(r => r.Socket is null).GroupBy(r => (int)r.Status).ToDictionary(g => g.Key, g => g.Count());
            Assert.That(live, Has.Count.EqualTo(100), "upgrades admitted; refusals by status: " + string.Join(", ", statuses.Select(s => $"{s.Key}x{s.Value}")));
            Assert.That(statuses, Is.EquivalentTo(new Dictionary<int, int> { [503] = 50 }), "every refusal is a 503");
            await WaitUntil(() => host.Host.Connections.Count == 100, 5);
            Assert.That(host.Host.Connections.Count, Is.EqualTo(100));
            Assert.That(host.Host.Connections.Reserved, Is.EqualTo(100));
            // Still full: one more is refused, and every admitted socket is alive.
            var (extra, status) = await RawSocket.TryConnectAsync(host.WebSocketUri);
            extra?.Dispose();
            Assert.That((extra is null, status), Is.EqualTo((true, HttpStatusCode.ServiceUnavailable)));
            Assert.That(live.All(s => s.State == WebSocketState.Open), Is.True);
        }
        finally
        {
            await CloseAll(live);
        }
        await WaitUntil(() => host.Host.Connections.Reserved == 0, 10);
        Assert.That((host.Host.Connections.Count, host.Host.Connections.Reserved), Is.EqualTo((0, 0)), "every slot is given back");
        await using var after = await host.ConnectAsync(Role.Viewer);
        using var ping = await after.CallAsync("ping");
        Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task PerAddressCapAppliesToLoopbackWhenAskedTo()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "max_connections_per_address = 5\nlimit_loopback_per_address = true\nauth_timeout = 60");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => RawSocket.TryConnectAsync(host.WebSocketUri))).WaitAsync(TimeSpan.FromSeconds(30));
        var live = attempts.Where(a => a.Socket is not null).Select(a => a.Socket!).ToList();
        try
        {
            Assert.That(live, Has.Count.EqualTo(5));
            var refused = attempts.Where(a => a.Socket is null).Select(a => a.Status).ToList();
            Assert.That(refused, Has.Count.EqualTo(7));
            Assert.That(refused, Is.All.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(host.Host.Connections.Reserved, Is.EqualTo(5));
            // One leaves: one more may come.
            await CloseAll([live[0]]);
            live.RemoveAt(0);
            await WaitUntil(() => host.Host.Connections.Reserved == 4, 5);
            var (next, status) = await RawSocket.TryConnectAsync(host.WebSocketUri);
            Assert.That(next, Is.Not.Null, $"refused with {status} after a slot was freed");
            live.Add(next!);
        }
        finally
        {
            await CloseAll(live);
        }
    }

    [Test]
    public async Task LoopbackIsExemptFromThePerAddressCapByDefault()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "max_connections_per_address = 2\nauth_timeout = 60");
        var attempts = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => RawSocket.TryConnectAsync(host.WebSocketUri))).WaitAsync(TimeSpan.FromSeconds(30));
        var live = attempts.Where(a => a.Socket is not null).Select(a => a.Socket!).ToList();
        try { Assert.That(live, Has.Count.EqualTo(5)); }
        finally { await CloseAll(live); }
    }

    [Test]
    public async Task AnonymousSocketsAreClosedWith1008AfterTheAuthTimeout()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "auth_timeout = 1");
        var idle = new List<(ClientWebSocket Socket, Stopwatch Since)>();
        for (var i = 0; i < 5; i++)
        {
            var (socket, status) = await RawSocket.TryConnectAsync(host.WebSocketUri);
            Assert.That(socket, Is.Not.Null, status.ToString());
            idle.Add((socket!, Stopwatch.StartNew()));
        }
        // Authenticated three ways: these must outlive the deadline.
        await using var byMethod = await host.ConnectAsync(Role.Viewer);
        var token = host.Token(Role.Viewer);
        await using var byHeader = await host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        await using var byCallToken = await host.ConnectAsync();
        using (var first = await byCallToken.CallAsync("ping", $$"""{"auth_token":"{{token}}"}"""))
            Assert.That(first.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
        // An anonymous socket that keeps talking (without authenticating) is still closed.
        await using var chatty = await host.ConnectAsync();
        var chattySince = Stopwatch.StartNew();

        var lifetimes = await Task.WhenAll(idle.Select(async x =>
        {
            var (closed, _) = await RawSocket.WaitForCloseAsync(x.Socket, TimeSpan.FromSeconds(5));
            return (closed, x.Socket.CloseStatus, x.Socket.CloseStatusDescription, x.Since.Elapsed);
        }));
        while (chattySince.Elapsed < TimeSpan.FromSeconds(3) && chatty.Socket.State == WebSocketState.Open)
        {
            try { using var r = await chatty.CallAsync("ping"); } catch (Exception) { break; }
            await Task.Delay(100);
        }
        await chatty.Closed.Task.WaitAsync(TimeSpan.FromSeconds(5));

        foreach (var (closed, status, reason, lived) in lifetimes)
        {
            TestContext.Out.WriteLine($"anonymous socket lived {lived.TotalMilliseconds:0} ms, closed {status} '{reason}'");
            Assert.That(closed, Is.True);
            Assert.That(status, Is.EqualTo(WebSocketCloseStatus.PolicyViolation), reason);
            Assert.That(lived, Is.GreaterThan(TimeSpan.FromSeconds(0.8)).And.LessThan(TimeSpan.FromSeconds(3)));
        }
        Assert.That(chatty.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        Assert.That(chattySince.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3.5)));

        foreach (var c in new[] { byMethod, byHeader, byCallToken })
        {
            using var ping = await c.CallAsync("ping", c == byCallToken ? $$"""{"auth_token":"{{token}}"}""" : null);
            Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"), "an authenticated socket outlives the deadline");
        }
        foreach (var (s, _) in idle) s.Dispose();
    }
}
