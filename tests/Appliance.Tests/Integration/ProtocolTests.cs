using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Integration;

/// <summary>JSON-RPC 2.0 framing and error mapping over a real socket.</summary>
public class ProtocolTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(serverExtra: "max_message_size = 65536");

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private static (int Code, string Message, JsonElement Data) Error(JsonDocument d)
    {
        var e = d.RootElement.GetProperty("error");
        return (e.GetProperty("code").GetInt32(), e.GetProperty("message").GetString()!, e.TryGetProperty("data", out var data) ? data : default);
    }

    [Test]
    public async Task MalformedJsonIsAParseErrorWithNullId()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var reply = await client.SendRawExpectReplyAsync("""{"jsonrpc":"2.0","id":1,"method":"ping" """);
        Assert.That(Error(reply).Code, Is.EqualTo(-32700));
        Assert.That(reply.RootElement.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        using var still = await client.CallAsync("ping");
        Assert.That(still.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"), "the connection survives a parse error");
    }

    [TestCase("""{"id":5,"method":"ping"}""", "5", "jsonrpc")]
    [TestCase("""{"jsonrpc":"1.0","id":5,"method":"ping"}""", "5", "jsonrpc")]
    [TestCase("""{"jsonrpc":"2.0","id":5,"method":42}""", "5", "method")]
    [TestCase("""{"jsonrpc":"2.0","id":5,"method":"ping","params":"x"}""", "5", "params")]
    public async Task InvalidRequestsAreAnsweredWithMinus32600(string raw, string id, string field)
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var reply = await client.SendAndWaitAsync(id, raw);
        var (code, _, data) = Error(reply);
        Assert.That(code, Is.EqualTo(-32600));
        Assert.That(data.GetProperty("field").GetString(), Is.EqualTo(field));
    }

    [Test]
    public async Task NonObjectRequestAndEmptyBatchAreInvalid()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using (var reply = await client.SendRawExpectReplyAsync("42")) Assert.That(Error(reply).Code, Is.EqualTo(-32600));
        using (var reply = await client.SendRawExpectReplyAsync("[]")) Assert.That(Error(reply).Code, Is.EqualTo(-32600));
    }

    [Test]
    public async Task UnknownMethodIsMinus32601()
    {
        await using var client = await _host.ConnectAsync(Role.Admin);
        using var reply = await client.CallAsync("format_disk");
        var (code, message, _) = Error(reply);
        Assert.That(code, Is.EqualTo(-32601));
        Assert.That(message, Does.Contain("format_disk"));
    }

    [Test]
    public async Task WrongParamsAreMinus32602NamingTheField()
    {
        await using var client = await _host.ConnectAsync();
        using (var reply = await client.CallAsync("authenticate", """{"auth_token":"x","auth_type":"password"}"""))
        {
            var (code, _, data) = Error(reply);
            Assert.That(code, Is.EqualTo(-32602));
            Assert.That(data.GetProperty("field").GetString(), Is.EqualTo("auth_type"));
        }
        using (var reply = await client.CallAsync("authenticate", """{"auth_token":12345}"""))
        {
            Assert.That(Error(reply).Data.GetProperty("field").GetString(), Is.EqualTo("auth_token"));
        }
        using (var reply = await client.CallAsync("authenticate", """["positional"]"""))
        {
            Assert.That(Error(reply).Code, Is.EqualTo(-32602));
        }
    }

    [Test]
    public async Task IdsAreEchoedExactlyAsSent()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using (var reply = await client.SendAndWaitAsync("abc-1", """{"jsonrpc":"2.0","id":"abc-1","method":"ping"}"""))
            Assert.That(reply.RootElement.GetProperty("id").GetString(), Is.EqualTo("abc-1"));
        using (var reply = await client.SendAndWaitAsync("9007199254740993", """{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}"""))
            Assert.That(reply.RootElement.GetProperty("id").GetRawText(), Is.EqualTo("9007199254740993"));
    }

    [Test]
    public async Task NotificationsGetNoReplyAndBatchesAnswerOnlyTheRequests()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var reply = await client.SendRawExpectReplyAsync("""
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","method":"ping"},
             {"jsonrpc":"2.0","id":"x","method":"nope"},
             {"jsonrpc":"2.0","id":3,"method":"get_metrics"},
             17]
            """);
        var items = reply.RootElement.EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(4));
        Assert.That(items[0].GetProperty("result").GetString(), Is.EqualTo("pong"));
        Assert.That(items[1].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32601));
        Assert.That(items[2].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32003));
        Assert.That(items[3].GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));

        await client.SendRawAsync("""{"jsonrpc":"2.0","method":"ping"}""");
        await client.SendRawAsync("""[{"jsonrpc":"2.0","method":"ping"}]""");
        using var marker = await client.CallAsync("ping");
        Assert.That(client.UnmatchedReplies, Is.Empty, "notifications and all-notification batches get no reply");
        Assert.That(client.Notifications, Is.Empty);
    }

    [Test]
    public async Task OversizeMessageClosesWith1009()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        var big = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"pad\":\"" + new string('x', 70_000) + "\"}}");
        try { await client.SendBytesAsync(big); } catch (WebSocketException) { }
        var closed = await Task.WhenAny(client.Closed.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.That(closed, Is.SameAs(client.Closed.Task));
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task MessageJustUnderTheLimitIsAccepted()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        var prefix = "{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"ping\",\"params\":{\"pad\":\"";
        var raw = prefix + new string('x', 65536 - prefix.Length - 3) + "\"}}";
        Assert.That(Encoding.UTF8.GetByteCount(raw), Is.EqualTo(65536));
        using var reply = await client.SendAndWaitAsync("77", raw);
        Assert.That(reply.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }
}
