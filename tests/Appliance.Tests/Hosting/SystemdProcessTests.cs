using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting;

/// <summary>
/// The real program as its own process, talking to a real NOTIFY_SOCKET the way systemd listens (a
/// Unix datagram socket) with WATCHDOG_USEC set: READY=1 with STATUS=, periodic WATCHDOG=1,
/// STOPPING=1 on SIGTERM; and a hung event loop stops the pings. It runs appliance.dll as built, or
/// the binary named by APPLIANCE_BINARY (CI points that at the Native AOT binary).
/// </summary>
[NonParallelizable]
public class SystemdProcessTests
{
    // 400 ms: the service pings every 200 ms.
    private const string WatchdogUsec = "400000";

    [Test]
    public async Task ReadyStatusPeriodicWatchdogAndStoppingOnSigterm()
    {
        using var dir = new TestDirectory();
        await using var service = await NotifiedService.StartAsync(dir);
        var ready = await service.WaitForAsync(m => m.Contains("READY=1"), TimeSpan.FromSeconds(30));
        Assert.That(ready, Does.Match(@"STATUS=(healthy|degraded|unhealthy): \d+ camera\(s\), 0 recording\(s\); "));

        // After READY the socket answers at once (READY means "serving").
        using (var probe = new TcpClient()) await probe.ConnectAsync(IPAddress.Loopback, service.Port);

        var pingsBefore = service.Count("WATCHDOG=1");
        await Task.Delay(1500);
        var pings = service.Count("WATCHDOG=1") - pingsBefore;
        Assert.That(pings, Is.InRange(4, 12), "about one ping per 200 ms: " + service.Transcript);

        service.Signal("TERM");
        var stopping = await service.WaitForAsync(m => m.Contains("STOPPING=1"), TimeSpan.FromSeconds(10));
        Assert.That(stopping, Does.Contain("STATUS=Stopping"));
        Assert.That(await service.WaitForExitAsync(TimeSpan.FromSeconds(15)), Is.EqualTo(0), service.Output);
        Assert.That(service.Messages.FindIndex(m => m.Contains("STOPPING=1")), Is.GreaterThan(service.Messages.FindIndex(m => m.Contains("READY=1"))));
    }

    [Test]
    public async Task AHungEventLoopStopsTheWatchdogPings()
    {
        using var dir = new TestDirectory();
        await using var service = await NotifiedService.StartAsync(dir, fault: "hang-event-loop");
        await service.WaitForAsync(m => m.Contains("READY=1"), TimeSpan.FromSeconds(30));
        // The fault hangs the event loop 1 s after start; the first stalled check withholds the ping.
        await service.WaitForOutputAsync("Withholding the watchdog ping", TimeSpan.FromSeconds(10));
        var pingsAtHang = service.Count("WATCHDOG=1");
        Assert.That(pingsAtHang, Is.GreaterThanOrEqualTo(2), "it pinged while healthy: " + service.Transcript);

        await Task.Delay(1500); // 7 watchdog periods
        Assert.That(service.Count("WATCHDOG=1") - pingsAtHang, Is.LessThanOrEqualTo(1), "no pings while hung: " + service.Transcript);
        Assert.That(service.Output, Does.Contain("stuck on one event"));
    }

    [Test]
    public async Task TheFaultIsIgnoredOutsideDevelopment()
    {
        using var dir = new TestDirectory();
        await using var service = await NotifiedService.StartAsync(dir, fault: "hang-event-loop", environment: "production");
        await service.WaitForAsync(m => m.Contains("READY=1"), TimeSpan.FromSeconds(30));
        await Task.Delay(2000);
        var pings = service.Count("WATCHDOG=1");
        await Task.Delay(1000);
        Assert.That(service.Count("WATCHDOG=1"), Is.GreaterThan(pings + 2), "still pinging: " + service.Transcript);
        Assert.That(service.Output, Does.Contain("fault injection only works"));
    }

    /// <summary>The service process with its notify socket and what it said on it and on its output.</summary>
    private sealed class NotifiedService : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly Process _process;
        private readonly Task _receiver;
        private readonly StringBuilder _output = new();
        private readonly List<string> _messages = [];

        private NotifiedService(Socket socket, Process process, int port)
        {
            _socket = socket;
            _process = process;
            Port = port;
            _receiver = Task.Run(ReceiveAsync);
            process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Port { get; }
        public List<string> Messages { get { lock (_messages) return [.. _messages]; } }
        public string Output { get { lock (_output) return _output.ToString(); } }
        public string Transcript => string.Join(" | ", Messages.Select(m => m.Replace('\n', ';')));
        public int Count(string message) => Messages.Count(m => m == message);

        public static async Task<NotifiedService> StartAsync(TestDirectory dir, string? fault = null, string environment = "development")
        {
            var port = FreePort();
            var config = dir.Write("appliance.toml", $"""
                [server]
                environment = "{environment}"
                host = "127.0.0.1"
                port = {port}
                [security]
                jwt_secret = "systemd-process-test-secret-0123456789abcdef"
                api_keys_file = "state/api-keys.json"
                [camera]
                discovery_enabled = false
                [mediamtx]
                # Free ports, not MediaMTX's defaults: a development run (build.ps1 run) on this machine must not answer.
                api_port = {FreePort()}
                auth_hook_port = {FreePort()}
                [recording]
                path = "recordings"
                [snapshots]
                path = "snapshots"
                [storage]
                state_dir = "state"
                [logging]
                level = "info"
                format = "console"
                """);
            var socketPath = dir.File("notify.sock");
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));

            var binary = Environment.GetEnvironmentVariable("APPLIANCE_BINARY");
            var psi = binary is { Length: > 0 } ? new ProcessStartInfo(binary) : new ProcessStartInfo("dotnet");
            if (binary is not { Length: > 0 }) psi.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "appliance.dll"));
            psi.ArgumentList.Add("--config");
            psi.ArgumentList.Add(config);
            psi.RedirectStandardOutput = psi.RedirectStandardError = true;
            foreach (var k in psi.Environment.Keys.Where(k => k.StartsWith("APPLIANCE_", StringComparison.Ordinal)).ToList()) psi.Environment.Remove(k);
            psi.Environment["NOTIFY_SOCKET"] = socketPath;
            psi.Environment["WATCHDOG_USEC"] = WatchdogUsec;
            if (fault is not null) psi.Environment["APPLIANCE_FAULT"] = fault;
            var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the service");
            await Task.Yield();
            return new NotifiedService(socket, process, port);
        }

        public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan timeout)
        {
            var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < until)
            {
                if (Messages.FirstOrDefault(match) is { } found) return found;
                if (_process.HasExited) Assert.Fail($"the service exited ({_process.ExitCode}): {Output}");
                await Task.Delay(20);
            }
            Assert.Fail($"no such notify message within {timeout.TotalSeconds} s: {Transcript}\n{Output}");
            return "";
        }

        public async Task WaitForOutputAsync(string text, TimeSpan timeout)
        {
            var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (Stopwatch.GetTimestamp() > until) Assert.Fail($"'{text}' not logged within {timeout.TotalSeconds} s: {Output}");
                await Task.Delay(20);
            }
        }

        public void Signal(string name)
        {
            using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString()])!;
            kill.WaitForExit();
        }

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        private async Task ReceiveAsync()
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try { n = await _socket.ReceiveAsync(buffer, SocketFlags.None); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                lock (_messages) _messages.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _socket.Dispose();
            try { await _receiver.WaitAsync(TimeSpan.FromSeconds(2)); } catch (TimeoutException) { }
        }
    }
}
