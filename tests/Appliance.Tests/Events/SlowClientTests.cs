using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Appliance.MediaMtx.Streams;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Events;

/// <summary>
/// One client that never reads while 50 others receive a burst of events, over real sockets to the real
/// host. The burst is published on the real hub (stream status events, as the MediaMTX monitor makes
/// them), so it goes through the real notifier, queues and WebSocket sends: 3000 events of about 1 KB in
/// bursts of 100, each as fast as the hub takes them. That is far more than the slow client's queue and
/// socket buffers hold, and the others must still get every one.
/// </summary>
[NonParallelizable]
public class SlowClientTests
{
    private const int Clients = 50, Burst = 3000, Chunk = 100, QueueCapacity = 256;

    [Test]
    public async Task ASlowClientLosesEventsTheOthersGetEveryOneAndItsQueueStaysBounded()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: $"notification_queue_capacity = {QueueCapacity}\nmax_connections = 100");
        var clients = new List<RpcTestClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var c = await host.ConnectAsync(Role.Viewer);
                await c.SubscribeAsync(["stream.status"]);
                clients.Add(c);
            }
            using var slow = await SilentClient.ConnectAsync(host, host.Token(Role.Viewer));
            var slowConnection = host.Host.Connections.All.Single(c => c.Id == slow.ConnectionId);

            var path = "camera0/" + new string('x', 1000); // a 1 KB frame each
            for (var sent = 0; sent < Burst; sent += Chunk)
            {
                for (var i = sent; i < sent + Chunk; i++) host.Host.Events.Publish(new StreamStatusChanged("/dev/video0", path, i % 2 == 0, i));
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (clients.Any(c => c.Notifications.Count < sent + Chunk) && DateTime.UtcNow < deadline) await Task.Delay(5);
                Assert.That(slowConnection.QueuedNotifications, Is.LessThanOrEqualTo(QueueCapacity), "a client that does not read holds at most its queue");
            }
            foreach (var c in clients)
            {
                var readers = c.Notifications.Select(n => n.RootElement.GetProperty("params").GetProperty("readers").GetInt32()).ToList();
                Assert.That(readers, Is.EqualTo(Enumerable.Range(0, Burst)), "every event, in order");
            }
            Assert.That(slowConnection.DroppedNotifications, Is.GreaterThan(0), "the slow client lost events");
            Assert.That(slowConnection.QueuedNotifications, Is.LessThanOrEqualTo(QueueCapacity));

            using var stats = await clients[0].CallAsync("get_subscription_stats");
            var global = stats.RootElement.GetProperty("result").GetProperty("global_stats");
            Assert.That(global.GetProperty("dropped_events").GetInt64(), Is.EqualTo(slowConnection.DroppedNotifications), "counted in the stats");
            await using var admin = await host.ConnectAsync(Role.Admin);
            using var metrics = await admin.CallAsync("get_metrics");
            var events = metrics.RootElement.GetProperty("result").GetProperty("events");
            Assert.That(events.GetProperty("notifications_dropped").GetInt64(), Is.GreaterThanOrEqualTo(slowConnection.DroppedNotifications), "and in get_metrics");
            Assert.That(events.GetProperty("notifications_sent").GetInt64(), Is.GreaterThanOrEqualTo((long)Clients * Burst));
            TestContext.Out.WriteLine($"slow client: {slowConnection.DroppedNotifications} of {Burst} dropped, {slowConnection.QueuedNotifications} queued");
        }
        finally
        {
            foreach (var c in clients) await c.DisposeAsync();
        }
    }

    /// <summary>A WebSocket client on a raw socket with a small receive buffer that authenticates,
    /// subscribes, and then never reads again.</summary>
    private sealed class SilentClient : IDisposable
    {
        private readonly Socket _socket;

        private SilentClient(Socket socket, string id)
        {
            _socket = socket;
            ConnectionId = id;
        }

        public string ConnectionId { get; }

        public static async Task<SilentClient> ConnectAsync(RunningHost host, string token)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            await socket.ConnectAsync("127.0.0.1", host.HttpUri.Port);
            var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"));
            var reader = new FrameReader(socket);
            var head = await reader.ReadHttpHeadAsync();
            Assert.That(head, Does.StartWith("HTTP/1.1 101"));
            await SendText(socket, $$$"""{"jsonrpc":"2.0","id":1,"method":"authenticate","params":{"auth_token":"{{{token}}}"}}""");
            Assert.That(await reader.ReadTextAsync(), Does.Contain("\"authenticated\":true"));
            await SendText(socket, """{"jsonrpc":"2.0","id":2,"method":"subscribe_events","params":{"topics":["stream.status"]}}""");
            Assert.That(await reader.ReadTextAsync(), Does.Contain("\"subscribed\":true"));
            await SendText(socket, """{"jsonrpc":"2.0","id":3,"method":"get_subscription_stats"}""");
            var stats = JsonDocument.Parse(await reader.ReadTextAsync());
            return new SilentClient(socket, stats.RootElement.GetProperty("result").GetProperty("client_id").GetString()!);
        }

        // A masked client text frame (RFC 6455 5.3), length < 64 KiB.
        private static async Task SendText(Socket socket, string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var mask = new byte[] { 1, 2, 3, 4 };
            var frame = new List<byte> { 0x81 };
            if (payload.Length < 126) frame.Add((byte)(0x80 | payload.Length));
            else { frame.Add(0x80 | 126); frame.Add((byte)(payload.Length >> 8)); frame.Add((byte)payload.Length); }
            frame.AddRange(mask);
            frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
            await socket.SendAsync(frame.ToArray());
        }

        public void Dispose() => _socket.Dispose();

        private sealed class FrameReader(Socket socket)
        {
            private readonly List<byte> _buffer = [];

            private async Task FillAsync(int count)
            {
                var chunk = new byte[4096];
                while (_buffer.Count < count)
                {
                    var n = await socket.ReceiveAsync(chunk);
                    if (n == 0) throw new IOException("closed");
                    _buffer.AddRange(chunk.Take(n));
                }
            }

            public async Task<string> ReadHttpHeadAsync()
            {
                while (true)
                {
                    var text = Encoding.ASCII.GetString([.. _buffer]);
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end >= 0)
                    {
                        _buffer.RemoveRange(0, end + 4);
                        return text[..end];
                    }
                    await FillAsync(_buffer.Count + 1);
                }
            }

            // One unmasked server text frame; notifications sent meanwhile are skipped (none before subscribing).
            public async Task<string> ReadTextAsync()
            {
                await FillAsync(2);
                var length = _buffer[1] & 0x7F;
                var header = 2;
                if (length == 126)
                {
                    await FillAsync(4);
                    length = (_buffer[2] << 8) | _buffer[3];
                    header = 4;
                }
                await FillAsync(header + length);
                var text = Encoding.UTF8.GetString(_buffer.Skip(header).Take(length).ToArray());
                _buffer.RemoveRange(0, header + length);
                return text;
            }
        }
    }
}
