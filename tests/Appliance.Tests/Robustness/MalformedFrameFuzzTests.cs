using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>
/// A seeded mutation fuzzer over a corpus of valid requests, against the real host on a real socket.
/// Every mutated frame must get exactly one well-formed JSON-RPC reply (none for a valid notification,
/// or an all-notification batch), never -32603, and the connection must survive: each frame is followed
/// by a sentinel ping that has to answer. The expected reply count comes from the JSON-RPC 2.0 spec
/// (an oracle written here), not from the server.
/// </summary>
public class MalformedFrameFuzzTests
{
    public const int Seed = 20261207;
    private const int Frames = 1000;
    private const int MaxBatch = 32;

    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(
        securityExtra: "rate_limit_burst = 1000000000\nrate_limit_per_minute = 1000000000\nauth_failures_per_minute = 10000",
        recordingExtra: "max_duration = 60");

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    // Each corpus entry: one or more request objects, each an ordered list of (member, raw JSON value).
    private static List<List<(string Key, string Value)>>[] Corpus() =>
    [
        [[("jsonrpc", "\"2.0\""), ("id", "1"), ("method", "\"ping\"")]],
        [[("jsonrpc", "\"2.0\""), ("id", "\"a-2\""), ("method", "\"ping\""), ("params", "{}")]],
        [[("jsonrpc", "\"2.0\""), ("method", "\"ping\"")]],
        [[("jsonrpc", "\"2.0\""), ("id", "3"), ("method", "\"get_camera_list\"")]],
        [[("jsonrpc", "\"2.0\""), ("id", "4"), ("method", "\"get_camera_status\""), ("params", "{\"device\":\"/dev/video0\"}")]],
        [[("jsonrpc", "\"2.0\""), ("id", "5"), ("method", "\"list_recordings\""), ("params", "{\"limit\":10,\"offset\":0}")]],
        [[("jsonrpc", "\"2.0\""), ("id", "6"), ("method", "\"list_snapshots\""), ("params", "{\"limit\":1}")]],
        [[("jsonrpc", "\"2.0\""), ("id", "7"), ("method", "\"get_recording_info\""), ("params", "{\"filename\":\"a.mp4\"}")]],
        [[("jsonrpc", "\"2.0\""), ("id", "8"), ("method", "\"take_snapshot\""), ("params", "{\"device\":\"/dev/video0\",\"format\":\"jpg\",\"quality\":80}")]],
        [[("jsonrpc", "\"2.0\""), ("id", "9"), ("method", "\"get_subscription_stats\"")]],
        [[("jsonrpc", "\"2.0\""), ("id", "10"), ("method", "\"get_camera_capabilities\""), ("params", "{\"device\":\"/dev/video1\"}")]],
        [
            [("jsonrpc", "\"2.0\""), ("id", "11"), ("method", "\"ping\"")],
            [("jsonrpc", "\"2.0\""), ("method", "\"ping\"")],
            [("jsonrpc", "\"2.0\""), ("id", "12"), ("method", "\"get_camera_status\""), ("params", "{\"device\":\"/dev/video1\"}")],
        ],
    ];

    private static readonly string[] SwapValues =
    [
        "2.0", "2", "null", "true", "false", "[]", "{}", "\"x\"", "\"\"", "\"\\ud800\"", "\"\\udc00x\"", "1e400", "-1",
        "123456789012345678901234567890", "{\"a\":[1,{\"b\":null}]}", "\"2.0 \"", "[\"2.0\"]", "\"\\u0000\"",
    ];

    private static readonly string[] HugeNumbers =
    [
        "1e400", "-1e400", "1" + new string('0', 400), "0." + new string('0', 400) + "1", "9223372036854775808",
        "-9223372036854775809", "1E+308", "4.9e-324", "-0", "1.5",
    ];

    internal static string Mutate(Random random, out string ops)
    {
        var corpus = Corpus();
        var requests = corpus[random.Next(corpus.Length)];
        var applied = new List<string>();
        var structural = random.Next(0, 3);
        for (var s = 0; s < structural; s++)
        {
            var r = requests[random.Next(requests.Count)];
            switch (random.Next(7))
            {
                case 0: // type swap of jsonrpc / id / method / params
                {
                    var key = new[] { "jsonrpc", "id", "method", "params" }[random.Next(4)];
                    var value = SwapValues[random.Next(SwapValues.Length)];
                    var i = r.FindIndex(m => m.Key == key);
                    if (i >= 0) r[i] = (key, value); else r.Add((key, value));
                    applied.Add($"swap {key}={value}");
                    break;
                }
                case 1: // remove a member
                {
                    var i = random.Next(r.Count);
                    applied.Add("remove " + r[i].Key);
                    r.RemoveAt(i);
                    break;
                }
                case 2: // lone surrogate escape in the method, a params value or a params member name
                {
                    var surrogate = random.Next(2) == 0 ? "\\ud800" : "\\udfff";
                    var where = random.Next(3);
                    if (where == 0) Set(r, "method", $"\"pi{surrogate}ng\"");
                    else if (where == 1) Set(r, "params", $"{{\"device\":\"/dev/video{surrogate}\",\"filename\":\"x.mp4\"}}");
                    else Set(r, "params", $"{{\"k{surrogate}\":1}}");
                    applied.Add("surrogate@" + where);
                    break;
                }
                case 3: // deep nesting
                {
                    var depth = random.Next(1, 300);
                    Set(r, "params", random.Next(2) == 0
                        ? string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)
                        : "{\"a\":" + new string('[', depth) + new string(']', depth) + "}");
                    applied.Add("nest " + depth);
                    break;
                }
                case 4: // huge numbers in the id or in numeric params
                {
                    var n = HugeNumbers[random.Next(HugeNumbers.Length)];
                    if (random.Next(2) == 0) Set(r, "id", n);
                    else Set(r, "params", $"{{\"limit\":{n},\"offset\":{n},\"quality\":{n},\"device\":\"/dev/video0\"}}");
                    applied.Add("number " + (n.Length > 20 ? n[..20] + "…" : n));
                    break;
                }
                case 5: // duplicate a member (one reply whichever copy is read)
                {
                    if (r.Count == 0) { applied.Add("duplicate -"); break; }
                    var m = r[random.Next(r.Count)];
                    r.Add(m);
                    applied.Add("duplicate " + m.Key);
                    break;
                }
                default: // the batch grows past max_batch, or a single becomes a batch
                {
                    var copies = random.Next(2) == 0 ? MaxBatch + 1 + random.Next(10) : 1 + random.Next(3);
                    var first = requests[0];
                    for (var c = 1; c < copies; c++) requests.Add([.. first]);
                    applied.Add("batch x" + requests.Count);
                    break;
                }
            }
        }
        var text = requests.Count == 1 && random.Next(4) != 0 ? Render(requests[0]) : "[" + string.Join(",", requests.Select(Render)) + "]";

        var textual = random.Next(10) < 4 ? random.Next(1, 3) : 0;
        var bytes = Encoding.ASCII.GetBytes(text).ToList();
        for (var t = 0; t < textual && bytes.Count > 0; t++)
        {
            switch (random.Next(3))
            {
                case 0:
                    var at = random.Next(bytes.Count);
                    var b = (byte)random.Next(0x20, 0x7F);
                    applied.Add($"flip @{at} {(char)bytes[at]}->{(char)b}");
                    bytes[at] = b;
                    break;
                case 1:
                    var keep = random.Next(bytes.Count);
                    applied.Add($"truncate {keep}/{bytes.Count}");
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                default:
                    var pos = random.Next(bytes.Count + 1);
                    const string junks = " \t\r\n,:]}[{\"\\";
                    var junk = junks[random.Next(junks.Length)];
                    applied.Add($"insert @{pos} {(int)junk}");
                    bytes.Insert(pos, (byte)junk);
                    break;
            }
        }
        ops = string.Join("; ", applied);
        return Encoding.ASCII.GetString(bytes.ToArray());

        static void Set(List<(string Key, string Value)> r, string key, string value)
        {
            var i = r.FindIndex(m => m.Key == key);
            if (i >= 0) r[i] = (key, value); else r.Add((key, value));
        }
    }

    private static string Render(List<(string Key, string Value)> members) =>
        "{" + string.Join(",", members.Select(m => $"\"{m.Key}\":{m.Value}")) + "}";

    /// <summary>The spec's answer to how many reply messages a frame is owed (0 or 1), and how many
    /// reply objects an answered batch holds.</summary>
    internal static (int Messages, int BatchItems, bool IsBatch) Expected(string frame)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(frame, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException) { return (1, 0, false); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Array) return (NeedsReply(root) ? 1 : 0, 0, false);
            var n = root.GetArrayLength();
            if (n == 0 || n > MaxBatch) return (1, 0, false);
            var owed = root.EnumerateArray().Count(NeedsReply);
            return (owed > 0 ? 1 : 0, owed, owed > 0);
        }
    }

    private static bool NeedsReply(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || e.TryGetProperty("id", out _)) return true;
        // A notification is answered only when it is not a valid request (then -32600 with a null id).
        if (!e.TryGetProperty("jsonrpc", out var v) || v.ValueKind != JsonValueKind.String) return true;
        try { if (v.GetString() != "2.0") return true; } catch (InvalidOperationException) { return true; }   // a lone surrogate is not "2.0"
        if (!e.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String) return true;
        try { m.GetString(); } catch (InvalidOperationException) { return true; }
        return e.TryGetProperty("params", out var p) && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null);
    }

    [Test]
    public async Task EveryMutatedFrameGetsExactlyOneWellFormedReplyAndTheConnectionSurvives()
    {
        var random = new Random(Seed);
        var socket = await ConnectAsync();
        var timeouts = 0;
        var failures = new List<string>();
        var previous = "";
        for (var i = 0; i < Frames && failures.Count < 25 && timeouts < 5; i++)
        {
            var frame = Mutate(random, out var ops);
            var (messages, items, isBatch) = Expected(frame);
            var sentinel = $"sentinel-{i}";
            var where = $"seed {Seed}, frame #{i} [{ops}]: {Clip(frame)} (previous: {Clip(previous)})";
            previous = frame;
            if (socket.State != WebSocketState.Open)
            {
                failures.Add($"{where}: connection is {socket.State} ({socket.CloseStatus} {socket.CloseStatusDescription})");
                break;
            }
            await RawSocket.SendTextAsync(socket, frame);
            await RawSocket.SendTextAsync(socket, $$"""{"jsonrpc":"2.0","id":"{{sentinel}}","method":"ping"}""");
            var replies = new List<JsonDocument>();
            var sentinelSeen = false;
            try
            {
                while (!sentinelSeen || replies.Count < messages)
                {
                    var (type, bytes) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(3));
                    if (type == WebSocketMessageType.Close) { failures.Add($"{where}: server closed {socket.CloseStatus} {socket.CloseStatusDescription}"); break; }
                    var doc = JsonDocument.Parse(bytes);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var sid)
                        && sid.ValueKind == JsonValueKind.String && sid.GetString() == sentinel)
                    {
                        sentinelSeen = true;
                        if (!doc.RootElement.TryGetProperty("result", out var pong) || pong.GetString() != "pong")
                            failures.Add($"{where}: the ping after it did not answer pong: {doc.RootElement.GetRawText()}");
                        doc.Dispose();
                        continue;
                    }
                    replies.Add(doc);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                failures.Add($"{where}: {(sentinelSeen ? "" : "no pong to the ping after it; ")}got {replies.Count} of {messages} replies within 3 s ({ex.GetType().Name}; server state: {socket.CloseStatus?.ToString() ?? "no close frame"})");
                // A cancelled receive aborts the client socket: carry on fuzzing on a fresh connection.
                timeouts++;
                socket.Dispose();
                socket = await ConnectAsync();
                continue;
            }
            if (replies.Count != messages)
                failures.Add($"{where}: expected {messages} reply message(s), got {replies.Count}");
            foreach (var reply in replies)
            {
                var root = reply.RootElement;
                if (isBatch)
                {
                    if (root.ValueKind != JsonValueKind.Array) { failures.Add($"{where}: batch answered with a non-array {Clip(root.GetRawText())}"); continue; }
                    if (root.GetArrayLength() != items) failures.Add($"{where}: batch reply holds {root.GetArrayLength()} objects, expected {items}");
                    foreach (var item in root.EnumerateArray())
                        if (ReplyShape.Problem(item) is { } p) failures.Add($"{where}: {p}: {Clip(item.GetRawText())}");
                }
                else if (ReplyShape.Problem(root) is { } p) failures.Add($"{where}: {p}: {Clip(root.GetRawText())}");
                else if (IdProblem(frame, root) is { } idp) failures.Add($"{where}: {idp}");
                reply.Dispose();
            }
        }

        // Nothing late or stray, and the connection still answers.
        if (socket.State == WebSocketState.Open)
        {
            await RawSocket.SendTextAsync(socket, """{"jsonrpc":"2.0","id":"final","method":"ping"}""");
            var (_, last) = await RawSocket.ReceiveAsync(socket, TimeSpan.FromSeconds(5));
            using var final = JsonDocument.Parse(last);
            if (final.RootElement.GetProperty("id").GetString() != "final" || final.RootElement.GetProperty("result").GetString() != "pong")
                failures.Add($"seed {Seed}: a stray reply arrived after the last frame: {Clip(final.RootElement.GetRawText())}");
        }
        var state = socket.State;
        socket.Dispose();
        Assert.That(failures, Is.Empty, $"seed {Seed}: {failures.Count} problem(s)");
        Assert.That(state, Is.EqualTo(WebSocketState.Open), $"seed {Seed}: the connection did not survive");
    }

    private async Task<ClientWebSocket> ConnectAsync()
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _host.Token(Role.Viewer));
        await socket.ConnectAsync(_host.WebSocketUri, CancellationToken.None);
        return socket;
    }

    [Test]
    public void TheFuzzerIsDeterministicForItsSeed()
    {
        string Run()
        {
            var r = new Random(Seed);
            return string.Join("\n", Enumerable.Range(0, 50).Select(n => Mutate(r, out var ops)));
        }
        var first = Run();
        Assert.That(Run(), Is.EqualTo(first), $"seed {Seed}: the same seed must give the same frames");
        // The corpus and mutations really produce invalid frames, notifications and batches.
        var r = new Random(Seed);
        var kinds = Enumerable.Range(0, Frames).Select(n => Expected(Mutate(r, out var ops))).ToList();
        Assert.That(kinds.Count(k => k.Messages == 0), Is.GreaterThan(10), "some frames are valid notifications");
        Assert.That(kinds.Count(k => k.IsBatch), Is.GreaterThan(10), "some frames are answered batches");
    }

    // A request with a string or number id gets that id back; anything unreadable gets null.
    private static string? IdProblem(string frame, JsonElement reply)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(frame); }
        catch (JsonException)
        {
            return reply.GetProperty("id").ValueKind == JsonValueKind.Null ? null : "a parse error must carry id null";
        }
        using (doc)
        {
            var root = doc.RootElement;
            var replyId = reply.GetProperty("id");
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("id", out var id))
                return replyId.ValueKind == JsonValueKind.Null ? null : $"expected id null, got {replyId.GetRawText()}";
            switch (id.ValueKind)
            {
                case JsonValueKind.Number:
                    return replyId.ValueKind == JsonValueKind.Number && replyId.GetRawText() == id.GetRawText() ? null : $"id {id.GetRawText()} echoed as {replyId.GetRawText()}";
                case JsonValueKind.String:
                    string? sent;
                    try { sent = id.GetString(); } catch (InvalidOperationException) { sent = null; }
                    if (sent is null) return replyId.ValueKind is JsonValueKind.Null or JsonValueKind.String ? null : "bad id echoed as a non-string";
                    return replyId.ValueKind == JsonValueKind.String && replyId.GetString() == sent ? null : $"id {id.GetRawText()} echoed as {replyId.GetRawText()}";
                case JsonValueKind.Null:
                    return replyId.ValueKind == JsonValueKind.Null ? null : "id null echoed as " + replyId.GetRawText();
                default:
                    return replyId.ValueKind == JsonValueKind.Null && ReplyShape.ErrorCode(reply) == -32600 ? null
                        : $"an id of kind {id.ValueKind} must be answered with -32600 and id null, got {Clip(reply.GetRawText())}";
            }
        }
    }

    private static string Clip(string s) => s.Length <= 240 ? s : s[..240] + $"…({s.Length} chars)";
}
