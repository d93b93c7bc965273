using System.Net.Sockets;
using System.Text;
using Appliance.Configuration;
using Appliance.Hosting;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting;

/// <summary>The sd_notify protocol against a real Unix datagram socket, the way systemd listens.</summary>
[NonParallelizable]
public class SystemdNotificationsTests
{
    [Test]
    public async Task ReadyIsSentOnlyOnceTheListenerAcceptsConnectionsThenStatusAndStoppingFollow()
    {
        using var dir = new TestDirectory();
        var socketPath = dir.File("notify.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        var messages = new List<string>();
        var ready = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        ApplianceHost? host = null;
        var receiver = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n;
                try { n = await listener.ReceiveAsync(buffer, SocketFlags.None); } catch (Exception) { return; }
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                lock (messages) messages.Add(text);
                if (text.Contains("READY=1"))
                {
                    // The moment systemd hears READY, a client must be able to connect.
                    using var probe = new TcpClient();
                    try { await probe.ConnectAsync("127.0.0.1", host!.BoundAddress.Port); ready.TrySetResult(1); }
                    catch (Exception ex) { ready.TrySetException(ex); }
                }
            }
        });

        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", socketPath);
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "200000");
        try
        {
            var config = ConfigLoader.Load("[server]\nenvironment = \"development\"\nhost = \"127.0.0.1\"\n[logging]\nlevel = \"warning\"\nformat = \"console\"\n",
                dir.File("a.toml"), new Dictionary<string, string>()).Config!;
            host = ApplianceHost.Create(config, null, new HostOverrides(Port: 0, WatchConfig: false, DevDirectory: dir.File("dev"), MediaAuthHookPort: 0));
            await host.StartAsync();
            Assert.That(await ready.Task.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(1));
            await Task.Delay(600);   // several watchdog periods (WATCHDOG_USEC/2 = 100 ms)
            await host.StopAsync();
            await host.DisposeAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
            listener.Close();
        }
        await receiver.WaitAsync(TimeSpan.FromSeconds(5));

        List<string> seen;
        lock (messages) seen = [.. messages];
        var readyIndex = seen.FindIndex(m => m.Contains("READY=1"));
        Assert.That(readyIndex, Is.GreaterThanOrEqualTo(0));
        Assert.That(seen[readyIndex], Does.Match(@"STATUS=(healthy|degraded|unhealthy): \d+ camera\(s\), 0 recording\(s\); "));
        Assert.That(seen.Count(m => m == "WATCHDOG=1"), Is.GreaterThanOrEqualTo(3), string.Join(" | ", seen));
        Assert.That(seen.FindIndex(m => m.Contains("STOPPING=1")), Is.GreaterThan(readyIndex));
    }

    [Test]
    public void WatchdogIntervalHonoursWatchdogPid()
    {
        Environment.SetEnvironmentVariable("WATCHDOG_USEC", "4000000");
        try
        {
            Environment.SetEnvironmentVariable("WATCHDOG_PID", Environment.ProcessId.ToString());
            Assert.That(SystemdNotifications.WatchdogInterval(), Is.EqualTo(TimeSpan.FromSeconds(4)));
            Environment.SetEnvironmentVariable("WATCHDOG_PID", "1");
            Assert.That(SystemdNotifications.WatchdogInterval(), Is.Null, "the watchdog is meant for another process");
        }
        finally
        {
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", null);
            Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
        }
    }
}
