using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Robustness;

/// <summary>Memory stays bounded under the 1 MiB batch attack (the host runs in this process, so its
/// RSS is ours), and the one per-address failure budget holds across every credential door.</summary>
public class ResourceAndThrottleTests
{
    private static long RssBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    // "[1,1,1,...]" of exactly `size` bytes.
    private static byte[] OnesBatch(int size)
    {
        var b = new byte[size];
        b[0] = (byte)'[';
        for (var i = 1; i < size - 1; i++) b[i] = (byte)(i % 2 == 1 ? '1' : ',');
        b[size - 2] = (byte)'1';
        b[size - 1] = (byte)']';
        return b;
    }

    /// <summary>Sends the frame in 16 KiB fragments (so the client side holds no 1 MiB copies) and
    /// collects what comes back until the close or the single reply.</summary>
    private static async Task<(WebSocketCloseStatus? Close, List<int> ReplySizes, string? FirstReply)> AttackAsync(ClientWebSocket socket, byte[] frame)
    {
        const int chunk = 16 * 1024;
        var sender = Task.Run(async () =>
        {
            try
            {
                for (var at = 0; at < frame.Length; at += chunk)
                {
                    var n = Math.Min(chunk, frame.Length - at);
                    await socket.SendAsync(frame.AsMemory(at, n), WebSocketMessageType.Text, at + n == frame.Length, CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException) { }
        });
        var sizes = new List<int>();
        string? first = null;
        try
        {
            while (true)
            {
                var (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(20));
                if (type == WebSocketMessageType.Close) break;
                sizes.Add(bytes.Length);
                first ??= Encoding.UTF8.GetString(bytes);
                break;   // one reply is all a frame gets
            }
        }
        catch (WebSocketException) { }
        await sender.WaitAsync(TimeSpan.FromSeconds(20));
        return (socket.CloseStatus, sizes, first);
    }

    [Test]
    public async Task RssStaysBoundedUnderTheAnonymousOneMegabyteBatchAttack()
    {
        const int connections = 40;
        const int rounds = 3;
        await using var host = await RunningHost.StartAsync(serverExtra: "max_message_size = 2097152\nauth_timeout = 60");
        var frame = OnesBatch(1024 * 1024);
        // Warm up the code paths once so that JIT and first-use allocations are not counted.
        using (var warm = new ClientWebSocket())
        {
            await warm.ConnectAsync(host.WebSocketUri, CancellationToken.None);
            await AttackAsync(warm, frame);
        }
        var before = RssBytes();
        var outcomes = new List<(WebSocketCloseStatus? Close, List<int> ReplySizes, string? FirstReply)>();
        for (var round = 0; round < rounds; round++)
        {
            var sockets = new List<ClientWebSocket>();
            for (var i = 0; i < connections; i++)
            {
                var s = new ClientWebSocket();
                await s.ConnectAsync(host.WebSocketUri, CancellationToken.None);
                sockets.Add(s);
            }
            outcomes.AddRange(await Task.WhenAll(sockets.Select(s => AttackAsync(s, frame))).WaitAsync(TimeSpan.FromSeconds(60)));
            foreach (var s in sockets) s.Dispose();
        }
        var growth = RssBytes() - before;
        TestContext.Out.WriteLine($"RSS growth after {connections * rounds} anonymous 1 MiB frames: {growth / 1024.0 / 1024.0:0.0} MiB");

        foreach (var (close, sizes, first) in outcomes)
        {
            Assert.That(close == WebSocketCloseStatus.MessageTooBig || sizes.Count == 1, Is.True, $"neither closed with 1009 nor answered: close {close}");
            Assert.That(sizes, Is.All.LessThan(1024), "every reply frame is small: " + first);
        }
        Assert.That(outcomes.Count(o => o.Close == WebSocketCloseStatus.MessageTooBig), Is.EqualTo(connections * rounds), "anonymous 1 MiB frames are refused with 1009 before they are parsed");
        Assert.That(growth, Is.LessThan(64L * 1024 * 1024), $"RSS grew by {growth / 1024 / 1024} MiB");
        await WaitForNoConnections(host);
    }

    [Test]
    public async Task AnAuthenticatedOneMegabyteBatchGetsOneSmallError()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "max_message_size = 2097152");
        var frame = OnesBatch(1024 * 1024);
        for (var i = 0; i < 3; i++)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + host.Token(Role.Viewer));
            await socket.ConnectAsync(host.WebSocketUri, CancellationToken.None);
            var (close, sizes, first) = await AttackAsync(socket, frame);
            Assert.That(close, Is.Null, "an authenticated client under max_message_size is answered, not closed");
            Assert.That(sizes, Has.Count.EqualTo(1));
            Assert.That(sizes[0], Is.LessThan(1024), first);
            using var doc = JsonDocument.Parse(first!);
            Assert.That(doc.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
            Assert.That(doc.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain($"batch too large ({(frame.Length - 1) / 2} > 32)"));
        }
    }

    private static async Task WaitForNoConnections(RunningHost host)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (host.Host.Connections.Reserved > 0 && DateTime.UtcNow < until) await Task.Delay(50);
        Assert.That(host.Host.Connections.Reserved, Is.EqualTo(0), "every attacking connection was released");
    }

    [Test]
    public async Task TenFailuresThroughMixedDoorsBlockTheEleventhCorrectCredentialEverywhere()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10", storageExtra: "min_free_mb = 0");
        var wrongJwt = HandMadeJwt.Make("""{"alg":"HS256","typ":"JWT"}""", HandMadeJwt.Claims("admin", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600), "not-the-secret");
        var good = host.Token(Role.Admin);
        Directory.CreateDirectory(Path.Combine(host.DataDir, "recordings"));
        File.WriteAllText(Path.Combine(host.DataDir, "recordings", "a.mp4"), "x");

        // Before: the correct credential works through the download door (the control).
        var (okStatus, _) = await RawHttp.GetAsync(host.HttpUri.Port, "/files/recordings/a.mp4", ("Authorization", "Bearer " + good));
        Assert.That(okStatus, Is.EqualTo(200));

        await using var client = await host.ConnectAsync();
        for (var i = 0; i < 3; i++)
        {
            using var r = await client.CallAsync("authenticate", $$"""{"auth_token":"{{wrongJwt}}"}""");
            Assert.That(r.RootElement.GetProperty("result").GetProperty("error").GetString(), Does.Contain("signature"), $"authenticate failure {i + 1} is judged on its merits");
        }
        for (var i = 0; i < 3; i++)
        {
            using var r = await client.CallAsync("ping", """{"auth_token":"apk_00000000_wrong"}""");
            Assert.That(ReplyShape.ErrorCode(r.RootElement), Is.EqualTo(-32001));
        }
        for (var i = 0; i < 2; i++)
        {
            await using var c = await host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + wrongJwt));
            using var r = await c.CallAsync("ping");
            Assert.That(ReplyShape.ErrorCode(r.RootElement), Is.EqualTo(-32001));
        }
        for (var i = 0; i < 2; i++)
        {
            var (status, _) = await RawHttp.GetAsync(host.HttpUri.Port, "/files/recordings/a.mp4", ("X-API-Key", "apk_00000000_wrong"));
            Assert.That(status, Is.EqualTo(401));
        }

        // The 11th attempt carries the correct credential: refused at every door.
        using (var r = await client.CallAsync("authenticate", $$"""{"auth_token":"{{good}}"}""")) 
        {
            Assert.That(r.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False);
            Assert.That(r.RootElement.GetProperty("result").GetProperty("error").GetString(), Does.Contain("too many failed"));
        }
        using (var r = await client.CallAsync("get_metrics", $$"""{"auth_token":"{{good}}"}"""))
        {
            Assert.That(ReplyShape.ErrorCode(r.RootElement), Is.EqualTo(-32001));
            Assert.That(r.RootElement.GetProperty("error").GetProperty("message").GetString(), Does.Contain("too many failed"));
        }
        var (blocked, body) = await RawHttp.GetAsync(host.HttpUri.Port, "/files/recordings/a.mp4", ("Authorization", "Bearer " + good));
        Assert.That(blocked, Is.EqualTo(429), "HTTP says 'throttled' with its own status (HttpCredentials), as POST /api/session does");
        Assert.That(Encoding.UTF8.GetString(body), Does.Contain("too many failed"));
        await using (var c = await host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + good)))
        {
            using var r = await c.CallAsync("ping");
            Assert.That(ReplyShape.ErrorCode(r.RootElement), Is.EqualTo(-32001), "the upgrade header is not honoured while blocked");
        }
        // API keys too (a different kind of credential, the same budget).
        var (_, key) = host.Host.Authenticator.ApiKeys.Add(Role.Viewer, "late");
        using (var r = await client.CallAsync("authenticate", $$"""{"auth_token":"{{key}}","auth_type":"api_key"}"""))
            Assert.That(r.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False);
    }

    [Test]
    public void TheFailureWindowEndsAfterOneMinute()
    {
        // The same throttle the host uses, on a fake clock (the real window is a minute: too long for this suite).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var throttle = new AuthFailureThrottle(() => 10, time);
        var address = IPAddress.Parse("192.0.2.7");
        for (var i = 0; i < 9; i++) throttle.RecordFailure(address);
        Assert.That(throttle.IsBlocked(address), Is.False, "9 failures leave one more try");
        throttle.RecordFailure(IPAddress.Parse("::ffff:192.0.2.7"));
        Assert.That(throttle.IsBlocked(address), Is.True, "the 10th failure (IPv4-mapped counts as IPv4) blocks");
        Assert.That(throttle.IsBlocked(IPAddress.Parse("192.0.2.8")), Is.False, "other addresses are not affected");
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.That(throttle.IsBlocked(address), Is.True, "still blocked inside the window");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(throttle.IsBlocked(address), Is.False, "the window has ended");
        throttle.RecordFailure(address);
        Assert.That(throttle.IsBlocked(address), Is.False, "a new window starts from one failure");
    }
}
