using System.Net;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Integration;

/// <summary>The service's own methods, health endpoints and resource limits, over real sockets.</summary>
public class ServiceTests
{
    [Test]
    public async Task HealthEndpointsAnswerJsonWithoutAuth()
    {
        await using var host = await RunningHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        using var live = await http.GetAsync("/health/live");
        using var ready = await http.GetAsync("/health/ready");
        Assert.That((live.StatusCode, ready.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That(live.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("status").GetString(), Is.EqualTo("ready"));
        Assert.That(body.RootElement.GetProperty("components").GetProperty("websocket_server").GetString(), Is.EqualTo("running"));
    }

    [Test]
    public async Task PlainHttpOnTheWebSocketPathIsRefused()
    {
        await using var host = await RunningHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        using var response = await http.GetAsync("/ws");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task MetricsCountRealRequestsErrorsAndMemory()
    {
        await using var host = await RunningHost.StartAsync();
        await using var client = await host.ConnectAsync(Role.Admin);
        for (var i = 0; i < 10; i++) (await client.CallAsync("ping")).Dispose();
        (await client.CallAsync("no_such_method")).Dispose();

        using var reply = await client.CallAsync("get_metrics");
        var m = reply.RootElement.GetProperty("result");
        Assert.That(m.GetProperty("active_connections").GetInt64(), Is.EqualTo(1));
        // authenticate + 10 pings + unknown method + (this call is counted after it answers)
        Assert.That(m.GetProperty("total_requests").GetInt64(), Is.EqualTo(12));
        Assert.That(m.GetProperty("error_rate").GetDouble(), Is.EqualTo(1.0 / 12).Within(0.001));
        Assert.That(m.GetProperty("average_response_time").GetDouble(), Is.GreaterThan(0));
        Assert.That(m.GetProperty("memory_usage").GetInt64(), Is.GreaterThan(10_000_000));
        Assert.That(m.GetProperty("cpu_usage").GetDouble(), Is.GreaterThanOrEqualTo(0));
        Assert.That(m.GetProperty("methods").GetProperty("ping").GetProperty("count").GetInt64(), Is.EqualTo(10));

        // The managed heap figures come from the runtime and only ever grow between two calls.
        var runtime = m.GetProperty("runtime");
        var allocated = runtime.GetProperty("allocated_bytes").GetInt64();
        Assert.That(allocated, Is.GreaterThan(0));
        Assert.That(runtime.GetProperty("heap_bytes").GetInt64(), Is.GreaterThan(0));
        for (var i = 0; i < 20; i++) (await client.CallAsync("ping")).Dispose();
        using var again = await client.CallAsync("get_metrics");
        Assert.That(again.RootElement.GetProperty("result").GetProperty("runtime").GetProperty("allocated_bytes").GetInt64(), Is.GreaterThan(allocated));
    }

    [Test]
    public async Task StatusReportsTheContractComponentsWithTheirRealState()
    {
        await using var host = await RunningHost.StartAsync();
        await using var client = await host.ConnectAsync(Role.Admin);
        using var reply = await client.CallAsync("get_status");
        var s = reply.RootElement.GetProperty("result");
        var components = s.GetProperty("components");
        Assert.That(components.GetProperty("websocket_server").GetString(), Is.EqualTo("running"));
        Assert.That(components.TryGetProperty("camera_monitor", out _), Is.True);
        Assert.That(components.TryGetProperty("mediamtx_controller", out _), Is.True);
        // A component that is not running makes the whole service "degraded", never "healthy".
        var expected = components.EnumerateObject().All(c => c.Value.GetString() == "running") ? "healthy" : "degraded";
        Assert.That(s.GetProperty("status").GetString(), Is.EqualTo(expected));
        Assert.That(s.GetProperty("uptime").GetDouble(), Is.GreaterThan(0));
    }

    [Test]
    public async Task ServerInfoNamesVersionAndMethods()
    {
        await using var host = await RunningHost.StartAsync();
        await using var client = await host.ConnectAsync(Role.Admin);
        using var reply = await client.CallAsync("get_server_info");
        var s = reply.RootElement.GetProperty("result");
        Assert.That(s.GetProperty("name").GetString(), Is.EqualTo("camera-appliance"));
        Assert.That(s.GetProperty("version").GetString(), Does.Match(@"^\d+\.\d+\.\d+"));
        Assert.That(s.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()), Is.EquivalentTo(new[] { "snapshots", "recordings", "streaming" }));
        Assert.That(s.GetProperty("methods").EnumerateArray().Select(c => c.GetString()), Does.Contain("authenticate").And.Contain("ping"));
    }

    [Test]
    public async Task RateLimitAnswersMinus32002AndOtherClientsAreUnaffected()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "rate_limit_burst = 5\nrate_limit_per_minute = 60");
        await using var noisy = await host.ConnectAsync(Role.Viewer);   // authenticate used 1 of the 5
        var codes = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            using var reply = await noisy.CallAsync("ping");
            codes.Add(reply.RootElement.TryGetProperty("error", out var e) ? e.GetProperty("code").GetInt32() : 0);
        }
        Assert.That(codes.Take(4), Is.All.EqualTo(0));
        Assert.That(codes.Skip(4).Take(3), Is.All.EqualTo(-32002));

        await using var quiet = await host.ConnectAsync(Role.Viewer);
        using var ok = await quiet.CallAsync("ping");
        Assert.That(ok.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task RepeatedAuthenticationFailuresAreThrottledPerClient()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 3");
        await using var client = await host.ConnectAsync();
        var errors = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            using var reply = await client.CallAsync("authenticate", """{"auth_token":"wrong.wrong.wrong"}""");
            errors.Add(reply.RootElement.GetProperty("result").GetProperty("error").GetString()!);
        }
        Assert.That(errors.Take(3), Is.All.EqualTo("malformed token"));
        Assert.That(errors.Skip(3), Is.All.Contains("too many failed"));
        using var good = await client.CallAsync("authenticate", $$"""{"auth_token":"{{host.Token(Role.Viewer)}}"}""");
        Assert.That(good.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False, "even a good credential waits out the lockout");
    }

    [Test]
    public async Task ConnectionLimitRefusesTheExtraClient()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "max_connections = 2");
        await using var a = await host.ConnectAsync();
        await using var b = await host.ConnectAsync();
        await WaitUntil(() => host.Host.Connections.Count == 2);
        var ex = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(async () => await host.ConnectAsync());
        Assert.That(ex!.Message, Does.Contain("503"));
    }

    [Test]
    public async Task AClientThatNeverReadsIsCutOffWhileOthersAreServed()
    {
        await using var host = await RunningHost.StartAsync(serverExtra: "send_queue_capacity = 8\nmax_batch = 500\nsend_timeout = 2",
            securityExtra: "rate_limit_burst = 1000000\nrate_limit_per_minute = 60000000");
        var token = host.Token(Role.Viewer);
        // A raw socket client that authenticates in the upgrade and then only writes.
        using var deaf = new System.Net.WebSockets.ClientWebSocket();
        deaf.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await deaf.ConnectAsync(host.WebSocketUri, CancellationToken.None);
        await using var polite = await host.ConnectAsync(Role.Viewer);

        // Each batch asks for 500 replies (~20 KB); the kernel's socket buffers fill, then our queue.
        var batch = System.Text.Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Range(0, 500).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"ping"}""")) + "]");
        var flood = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 5000 && deaf.State == System.Net.WebSockets.WebSocketState.Open; i++)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await deaf.SendAsync(batch, System.Net.WebSockets.WebSocketMessageType.Text, true, cts.Token);
                }
            }
            catch (Exception) { /* the server cut us off: expected */ }
        });

        var latencies = new List<double>();
        while (!flood.IsCompleted && latencies.Count < 10_000)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            using var reply = await polite.CallAsync("ping");
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            Assert.That(reply.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
        }
        await flood.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(host.Host.Metrics.CutOffClients, Is.EqualTo(1), "the deaf client was cut off");
        await WaitUntil(() => host.Host.Connections.Count == 1);
        Assert.That(latencies, Is.Not.Empty);
        latencies.Sort();
        Assert.That(latencies[(int)(latencies.Count * 0.99)], Is.LessThan(1000), "the polite client was never held up for long");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.That(condition(), Is.True);
    }
}
