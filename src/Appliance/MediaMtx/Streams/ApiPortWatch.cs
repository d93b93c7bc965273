using System.Net.Sockets;

namespace Appliance.MediaMtx.Streams;

/// <summary>
/// How the streams loop notices MediaMTX coming back without waiting out its backoff: while the API
/// port refuses connections, a bare TCP connect every two seconds (no HTTP, no circuit: on loopback a
/// refused connect costs microseconds) tells when it accepts again. An outage where the port still
/// accepts (a hung or failing API) gets no probe: there only the backoff paces the checks.
/// </summary>
public static class ApiPortWatch
{
    /// <summary>How often the port is tried while it refuses.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    /// <summary>A connect that neither succeeds nor fails within this counts as "not accepting".</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>True when the failure was a refused connection: nothing listens on the port.</summary>
    public static bool IsRefused(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }

    /// <summary>Whether host:port accepts a TCP connection now (the connection is closed at once).
    /// No exception is thrown for a refusal or a timeout: this runs every <see cref="ProbeInterval"/> for as
    /// long as MediaMTX is away, and a thrown and caught SocketException per probe made an idle box ten
    /// times busier than it needs to be (measured with the load client's floor scenario).</summary>
    public static async Task<bool> AcceptsAsync(string host, int port, CancellationToken ct)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var connect = new SocketAsyncEventArgs
        {
            RemoteEndPoint = System.Net.IPAddress.TryParse(host, out var address) ? new System.Net.IPEndPoint(address, port) : new System.Net.DnsEndPoint(host, port),
        };
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connect.Completed += (_, _) => done.TrySetResult();
        // On loopback a refused connect completes at once, with no timer and no task.
        if (socket.ConnectAsync(connect))
        {
            await Task.WhenAny(done.Task, Task.Delay(ConnectTimeout, ct));
            if (!done.Task.IsCompleted)
            {
                Socket.CancelConnectAsync(connect);
                await done.Task;
                return false;
            }
        }
        return connect.SocketError == SocketError.Success;
    }

    /// <summary>Waits <paramref name="backoff"/>, or less: returns early (true) once the port, refusing
    /// before, accepts again, or when <paramref name="wake"/> is signalled. False when the full wait passed.</summary>
    public static async Task<bool> WaitAsync(TimeSpan backoff, Func<Task<bool>> accepts, SemaphoreSlim wake, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + backoff;
        while (true)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            if (await wake.WaitAsync(left < ProbeInterval ? left : ProbeInterval, ct)) return true;
            if (DateTimeOffset.UtcNow < deadline && await accepts()) return true;
        }
    }
}
