using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>Batch sizes at and around server.max_batch (default and raised), mixed elements, batches
/// before authentication, and the rate limiter charging every element.</summary>
public class BatchLimitTests
{
    private const string Unlimited = "rate_limit_burst = 1000000000\nrate_limit_per_minute = 1000000000";

    private static string Pings(int n, int firstId = 1) =>
        "[" + string.Join(",", Enumerable.Range(firstId, n).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}""")) + "]";

    private static async Task<JsonDocument> SendAsync(RpcTestClient client, string raw)
    {
        var reply = await client.SendRawExpectReplyAsync(raw);
        return reply;
    }

    private static void AssertBatchTooLarge(JsonDocument reply, int n, int max)
    {
        var root = reply.RootElement;
        Assert.That(root.ValueKind, Is.EqualTo(JsonValueKind.Object), "one error object, not an array: " + Clip(root.GetRawText()));
        Assert.That(root.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(root.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        Assert.That(root.GetProperty("error").GetProperty("message").GetString(), Does.Contain($"batch too large ({n} > {max})"));
    }

    private static void AssertAllPong(JsonDocument reply, int n)
    {
        var items = reply.RootElement.EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(n));
        for (var i = 0; i < n; i++)
        {
            Assert.That(items[i].GetProperty("id").GetInt32(), Is.EqualTo(i + 1), "replies in the batch's order");
            Assert.That(items[i].GetProperty("result").GetString(), Is.EqualTo("pong"), items[i].GetRawText());
        }
    }

    [TestCase(1)]
    [TestCase(32)]
    public async Task BatchesUpToTheDefaultMaximumAreAnswered(int n)
    {
        await using var host = await RunningHost.StartAsync(securityExtra: Unlimited);
        await using var client = await host.ConnectAsync(Role.Viewer);
        using var reply = await SendAsync(client, Pings(n));
        AssertAllPong(reply, n);
    }

    [Test]
    public async Task BatchesOfZeroAndOverTheDefaultMaximumGetOneError()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: Unlimited);
        await using var client = await host.ConnectAsync(Role.Viewer);
        using (var empty = await SendAsync(client, "[]"))
        {
            Assert.That(empty.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object));
            Assert.That(empty.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        }
        using (var r33 = await SendAsync(client, Pings(33))) AssertBatchTooLarge(r33, 33, 32);
        using (var r1000 = await SendAsync(client, Pings(1000))) AssertBatchTooLarge(r1000, 1000, 32);
        using var ping = await client.CallAsync("ping");
        Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
        Assert.That(client.UnmatchedReplies, Is.Empty, "exactly one reply per batch");
    }

    [Test]
    public async Task RaisedMaximumAnswers1000AndRefuses1001()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "max_batch = 1000", securityExtra: Unlimited);
        await using var client = await host.ConnectAsync(Role.Viewer);
        using (var r33 = await SendAsync(client, Pings(33))) AssertAllPong(r33, 33);
        using (var r1000 = await SendAsync(client, Pings(1000))) AssertAllPong(r1000, 1000);
        using (var r1001 = await SendAsync(client, Pings(1001))) AssertBatchTooLarge(r1001, 1001, 1000);
    }

    [Test]
    public async Task MixedBatchAnswersEachRequestInOrderAndNoNotification()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: Unlimited);
        await using var client = await host.ConnectAsync(Role.Viewer);
        using var reply = await SendAsync(client, """
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","method":"ping"},
             {"jsonrpc":"1.0","id":2,"method":"ping"},
             {"method":"ping"},
             {"jsonrpc":"2.0","method":"no_such_method"},
             {"jsonrpc":"2.0","id":3,"method":"take_snapshot","params":{"device":"/dev/video0"}},
             {"jsonrpc":"2.0","id":4,"method":"ping","params":"text"},
             "x",
             {"jsonrpc":"2.0","id":5,"method":"get_camera_status","params":{"device":"\udc00"}},
             {"jsonrpc":"2.0","id":6,"method":"ping"}]
            """);
        var items = reply.RootElement.EnumerateArray().ToList();
        var summary = string.Join(" ", items.Select(i => $"{i.GetProperty("id").GetRawText()}:{(i.TryGetProperty("result", out _) ? "ok" : i.GetProperty("error").GetProperty("code").GetInt32().ToString())}"));
        Assert.That(summary, Is.EqualTo("1:ok 2:-32600 null:-32600 3:-32003 4:-32600 null:-32600 5:-32602 6:ok"), reply.RootElement.GetRawText());
        foreach (var item in items) Assert.That(ReplyShape.Problem(item), Is.Null);
    }

    [Test]
    public async Task BatchesBeforeAuthentication()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: Unlimited);
        await using var client = await host.ConnectAsync();
        // Protected methods in a batch are refused one by one; a failed authenticate is a result.
        using (var reply = await SendAsync(client, """
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","id":2,"method":"get_metrics"},
             {"jsonrpc":"2.0","id":3,"method":"authenticate","params":{"auth_token":"apk_wrong"}},
             {"jsonrpc":"2.0","method":"ping"}]
            """))
        {
            var items = reply.RootElement.EnumerateArray().ToList();
            Assert.That(items, Has.Count.EqualTo(3));
            Assert.That(items[0].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32001));
            Assert.That(items[1].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32001));
            Assert.That(items[2].GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False);
        }
        // Over max_batch but under the unauthenticated size cap: one error.
        var big = Pings(300);
        Assert.That(Encoding.UTF8.GetByteCount(big), Is.LessThan(16 * 1024));
        using (var reply = await SendAsync(client, big)) AssertBatchTooLarge(reply, 300, 32);
        // An authenticate inside a batch binds the role for the elements after it.
        using (var reply = await SendAsync(client, $$$"""
            [{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"auth_token":"{{{host.Token(Role.Viewer)}}}"}},
             {"jsonrpc":"2.0","id":2,"method":"ping"}]
            """))
        {
            var items = reply.RootElement.EnumerateArray().ToList();
            Assert.That(items[0].GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.True);
            Assert.That(items[1].GetProperty("result").GetString(), Is.EqualTo("pong"));
        }
    }

    [Test]
    public async Task ABatchLargerThanTheUnauthenticatedCapIsClosedWith1009()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: Unlimited);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(host.WebSocketUri, CancellationToken.None);
        var big = Encoding.UTF8.GetBytes(Pings(1000));
        Assert.That(big.Length, Is.GreaterThan(16 * 1024));
        try { await socket.SendAsync(big, WebSocketMessageType.Text, true, CancellationToken.None); } catch (WebSocketException) { }
        var (closed, texts, error) = await RawSocket.WaitForCloseWithErrorAsync(socket, TimeSpan.FromSeconds(5));
        Assert.That(closed, Is.True, $"no close frame received: {error}");
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig), socket.CloseStatusDescription);
        Assert.That(texts, Is.Empty);
    }

    [Test]
    public async Task EveryBatchElementCountsAgainstTheRateLimit()
    {
        // Burst 10, refilled by one a minute: nothing refills during the test.
        await using var host = await RunningHost.StartAsync(securityExtra: "rate_limit_burst = 10\nrate_limit_per_minute = 1");
        var token = host.Token(Role.Viewer);   // on the upgrade: authenticate would spend a token
        await using var client = await host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        using var reply = await SendAsync(client, Pings(20));
        var items = reply.RootElement.EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(20));
        for (var i = 0; i < 20; i++)
        {
            Assert.That(items[i].GetProperty("id").GetInt32(), Is.EqualTo(i + 1));
            if (i < 10) Assert.That(items[i].GetProperty("result").GetString(), Is.EqualTo("pong"), $"element {i}");
            else Assert.That(items[i].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32002), $"element {i}");
        }
        using var after = await client.CallAsync("ping");
        Assert.That(after.RootElement.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32002), "the bucket stays empty");
    }

    [Test]
    public async Task NotificationsInABatchSpendTokensToo()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "rate_limit_burst = 10\nrate_limit_per_minute = 1");
        var token = host.Token(Role.Viewer);
        await using var client = await host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        var batch = "[" + string.Join(",",
            Enumerable.Range(1, 5).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}""")
            .Concat(Enumerable.Range(0, 5).Select(_ => """{"jsonrpc":"2.0","method":"ping"}"""))
            .Concat(Enumerable.Range(6, 10).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}"""))) + "]";
        using var reply = await SendAsync(client, batch);
        var items = reply.RootElement.EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(15), "5 pongs, no reply to the 5 notifications, 10 refusals");
        Assert.That(items.Take(5).All(i => i.GetProperty("result").GetString() == "pong"), Is.True, reply.RootElement.GetRawText());
        Assert.That(items.Skip(5).All(i => i.GetProperty("error").GetProperty("code").GetInt32() == -32002), Is.True, reply.RootElement.GetRawText());
    }

    private static string Clip(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
