using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>Invalid UTF-8 (close 1007 with a real close frame) and the specific inputs the hardening
/// names: a number jsonrpc, lone surrogates in method / params / id, bad params on an unknown camera.</summary>
public class FrameEdgeCaseTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(recordingExtra: "max_duration = 60");

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    [TestCase(new byte[] { 0x22, 0xC3, 0x28, 0x22 }, true, TestName = "InvalidUtf8_BadContinuation_Authenticated")]
    [TestCase(new byte[] { 0x22, 0xC0, 0x80, 0x22 }, true, TestName = "InvalidUtf8_OverlongNul_Authenticated")]
    [TestCase(new byte[] { 0x22, 0xED, 0xA0, 0x80, 0x22 }, true, TestName = "InvalidUtf8_EncodedSurrogate_Authenticated")]
    [TestCase(new byte[] { 0x22, 0xF4, 0x90, 0x80, 0x80, 0x22 }, true, TestName = "InvalidUtf8_AboveU10FFFF_Authenticated")]
    [TestCase(new byte[] { 0x7B, 0xE2, 0x82 }, false, TestName = "InvalidUtf8_TruncatedAtEnd_Unauthenticated")]
    [TestCase(new byte[] { 0xFF }, false, TestName = "InvalidUtf8_FF_Unauthenticated")]
    public async Task InvalidUtf8TextFrameIsClosedWith1007(byte[] payload, bool authenticated)
    {
        // Several attempts: the close handshake can lose a race (see the report), and one try may miss it.
        var failures = new List<string>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var socket = new ClientWebSocket();
            if (authenticated) socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
            await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);
            await socket.SendAsync(payload, WebSocketMessageType.Text, true, CancellationToken.None);
            var (closed, texts, error) = await RawSocket.WaitForCloseWithErrorAsync(socket, TimeSpan.FromSeconds(5));
            if (!closed) failures.Add($"attempt {attempt}: no close frame received: {error}");
            else if (socket.CloseStatus != WebSocketCloseStatus.InvalidPayloadData) failures.Add($"attempt {attempt}: closed with {socket.CloseStatus} {socket.CloseStatusDescription}");
            if (texts.Count > 0) failures.Add($"attempt {attempt}: {texts.Count} text frame(s) answered to a frame that is not text");
        }
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public async Task InvalidUtf8FollowedByMoreFramesStillGetsTheCloseFrame()
    {
        // A client that pipelines: frames after the bad one are still unread when the server closes.
        var failures = new List<string>();
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
            await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);
            await socket.SendAsync(new byte[] { 0x22, 0xC3, 0x28, 0x22 }, WebSocketMessageType.Text, true, CancellationToken.None);
            try
            {
                for (var i = 0; i < 200; i++)
                    await RawSocket.SendTextAsync(socket, $$$"""{"jsonrpc":"2.0","id":{{{i}}},"method":"ping","params":{"pad":"{{{new string('x', 500)}}}"}}""");
            }
            catch (Exception ex) when (ex is WebSocketException or IOException) { }
            var (closed, _, error) = await RawSocket.WaitForCloseWithErrorAsync(socket, TimeSpan.FromSeconds(5));
            if (!closed || socket.CloseStatus != WebSocketCloseStatus.InvalidPayloadData)
                failures.Add($"attempt {attempt}: closed={closed} status={socket.CloseStatus} error={error}");
        }
        Assert.That(failures, Is.Empty, "the 1007 close frame must reach the client (a proper close, not a reset)");
    }

    [Test]
    public async Task AMultiByteCharacterSplitAcrossFragmentsIsValidText()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
        await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);
        var bytes = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"é€😀"}}""");
        var split = Array.IndexOf(bytes, (byte)0xC3) + 1;   // inside the é
        await socket.SendAsync(bytes.AsMemory(0, split), WebSocketMessageType.Text, false, CancellationToken.None);
        await socket.SendAsync(bytes.AsMemory(split), WebSocketMessageType.Text, true, CancellationToken.None);
        var (type, reply) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(5));
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Text), $"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
        using var doc = JsonDocument.Parse(reply);
        Assert.That(doc.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }

    [TestCase("""{"jsonrpc":2.0,"id":1,"method":"ping"}""", -32600, "jsonrpc")]
    [TestCase("""{"jsonrpc":"2.0","id":2,"method":"\ud800"}""", -32600, "method")]
    [TestCase("""{"jsonrpc":"2.0","id":3,"method":"pi\udc00ng","params":{}}""", -32600, "method")]
    [TestCase("""{"jsonrpc":"2.0","id":4,"method":"get_camera_status","params":{"device":"\udc00"}}""", -32602, "device")]
    [TestCase("""{"jsonrpc":"2.0","id":5,"method":"take_snapshot","params":{"device":"/dev/video77","quality":500}}""", -32602, "quality")]
    [TestCase("""{"jsonrpc":"2.0","id":6,"method":"take_snapshot","params":{"device":"/dev/video77","format":"bmp"}}""", -32602, "format")]
    [TestCase("""{"jsonrpc":"2.0","id":7,"method":"take_snapshot","params":{"device":"/dev/video77","filename":"../x.jpg"}}""", -32602, "filename")]
    [TestCase("""{"jsonrpc":"2.0","id":8,"method":"start_recording","params":{"device":"/dev/video77","duration":120}}""", -32602, "duration")]
    [TestCase("""{"jsonrpc":"2.0","id":9,"method":"start_recording","params":{"device":"/dev/video77","format":"avi"}}""", -32602, "format")]
    [TestCase("""{"jsonrpc":"2.0","id":10,"method":"start_recording","params":{"device":"/dev/video77","duration":1e400}}""", -32602, "duration")]
    [TestCase("""{"jsonrpc":"2.0","id":11,"method":"list_recordings","params":{"limit":123456789012345678901234567890}}""", -32602, "limit")]
    public async Task ClientInputIsNeverAnInternalError(string raw, int code, string field)
    {
        await using var client = await _host.ConnectAsync(Role.Operator);
        var id = JsonDocument.Parse(raw.Replace("\\ud800", "").Replace("\\udc00", "")).RootElement.GetProperty("id").GetRawText();
        using var reply = await client.SendAndWaitAsync(id, raw);
        Assert.That(ReplyShape.Problem(reply.RootElement), Is.Null, reply.RootElement.GetRawText());
        var error = reply.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(code), error.GetRawText());
        Assert.That(error.GetProperty("data").GetProperty("field").GetString(), Is.EqualTo(field), error.GetRawText());
        using var ping = await client.CallAsync("ping");
        Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }

    [TestCase("\"\\ud800\"")]
    [TestCase("\"a\\udfffb\"")]
    public async Task ALoneSurrogateIdIsAnsweredOnceWellFormed(string id)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
        await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);
        await RawSocket.SendTextAsync(socket, $$"""{"jsonrpc":"2.0","id":{{id}},"method":"ping"}""");
        await RawSocket.SendTextAsync(socket, """{"jsonrpc":"2.0","id":"after","method":"ping"}""");
        var replies = new List<JsonDocument>();
        while (true)
        {
            var (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(5));
            Assert.That(type, Is.EqualTo(WebSocketMessageType.Text), $"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
            var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.GetProperty("id").ValueKind == JsonValueKind.String && doc.RootElement.GetProperty("id").ValueEquals("after")) break;
            replies.Add(doc);
        }
        if (replies.Count == 0)
        {
            // the reply may trail the next ping's (requests run concurrently)
            try
            {
                var (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(3));
                if (type == WebSocketMessageType.Text) replies.Add(JsonDocument.Parse(bytes));
            }
            catch (OperationCanceledException) { }
        }
        Assert.That(replies, Has.Count.EqualTo(1), "exactly one reply to a request whose id is not valid text");
        Assert.That(ReplyShape.Problem(replies[0].RootElement), Is.Null, replies[0].RootElement.GetRawText());
    }

    [TestCase("""{"jsonrpc":"\ud800","id":1,"method":"ping"}""", TestName = "LoneSurrogateInJsonrpc")]
    [TestCase("""{"jsonrpc":"2.0\udc00","id":2,"method":"ping"}""", TestName = "LoneSurrogateAfter20InJsonrpc")]
    public async Task ALoneSurrogateInJsonrpcIsAnInvalidRequest(string raw)
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        var id = raw.Contains("\"id\":1") ? "1" : "2";
        using var reply = await client.SendAndWaitAsync(id, raw);
        Assert.That(ReplyShape.ErrorCode(reply.RootElement), Is.EqualTo(-32600), reply.RootElement.GetRawText());
        Assert.That(reply.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("jsonrpc"));
    }

    [Test]
    public async Task OneBadIdInABatchDoesNotCostTheOtherElementsTheirReplies()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        await client.SendRawAsync("""[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":"\ud800","method":"ping"},{"jsonrpc":"2.0","id":3,"method":"ping"}]""");
        using var marker = await client.CallAsync("ping");
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (client.UnmatchedReplies.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.That(client.UnmatchedReplies.TryDequeue(out var batch), Is.True, "the batch got no reply at all");
        using (batch)
        {
            var items = batch!.RootElement.EnumerateArray().ToList();
            Assert.That(items, Has.Count.EqualTo(3), batch.RootElement.GetRawText());
            Assert.That(items[0].GetProperty("result").GetString(), Is.EqualTo("pong"));
            Assert.That(items[2].GetProperty("result").GetString(), Is.EqualTo("pong"));
            Assert.That(ReplyShape.Problem(items[1]), Is.Null, items[1].GetRawText());
        }
    }

    // Between messages the server waits with a zero-byte read, which also completes an empty final
    // frame: an empty message is still a (malformed) request of its own, and a message whose first
    // fragment is empty is still read whole.
    [Test]
    public async Task AnEmptyMessageIsAParseErrorAndAnEmptyFirstFragmentLosesNothing()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
        await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);

        await socket.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, CancellationToken.None);
        var (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(5));
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Text), $"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
        using (var empty = JsonDocument.Parse(bytes))
            Assert.That(ReplyShape.ErrorCode(empty.RootElement), Is.EqualTo(-32700), empty.RootElement.GetRawText());

        await socket.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, false, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":"fragmented","method":"ping"}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(5));
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Text), $"closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
        using var pong = JsonDocument.Parse(bytes);
        Assert.That(pong.RootElement.GetProperty("id").GetString(), Is.EqualTo("fragmented"), pong.RootElement.GetRawText());
        Assert.That(pong.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }
}
