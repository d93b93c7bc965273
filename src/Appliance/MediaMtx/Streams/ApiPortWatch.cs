using System.Net.Sockets;

namespace Appliance.MediaMtx.Streams;

/// <summary>
/// How the streams loop notices MediaMTX coming back without waiting out its backoff: while the API
/// port refuses connections, a bare TCP connect once a second (no HTTP, no circuit: on loopback a
/// refused connect costs microseconds) tells when it accepts again. An outage where the port still
/// accepts (a hung or failing API) gets no probe: there only the backoff paces the checks.
/// </summary>
public static class ApiPortWatch
{
    /// <summary>How often the port is tried while it refuses.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>A connect that neither succeeds nor fails within this counts as "not accepting".</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>True when the failure was a refused connection: nothing listens on the port.</summary>
    public static bool IsRefused(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused }) return true;
        return false;
    }

    /// <summary>Whether host:port accepts a TCP connection now (the connection is closed at once).</summary>
    public static async Task<bool> AcceptsAsync(string host, int port, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ConnectTimeout);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token);
            return true;
        }
        catch (SocketException) { return false; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
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
