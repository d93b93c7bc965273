using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Appliance.LoadClient;

/// <summary>
/// The receiving end of systemd's notify protocol: a Unix datagram socket bound to a path that
/// is handed to the service as NOTIFY_SOCKET. A background loop drains every datagram (the
/// kernel queues only a few, net.unix.max_dgram_qlen, and a full queue would block the
/// service's notifier) and timestamps READY=1 and STOPPING=1 as they arrive.
/// </summary>
public sealed class NotifySocket : IDisposable
{
    private const int MaxMessagesKept = 200;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<long> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<long> _stopping = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _messages = [];
    private readonly Task _loop;
    private int _disposed;

    public NotifySocket(string path)
    {
        Path = path;
        if (File.Exists(path)) File.Delete(path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Bind(new UnixDomainSocketEndPoint(path));
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public string Path { get; }

    /// <summary>Completes with the Stopwatch timestamp at which READY=1 arrived.</summary>
    public Task<long> Ready => _ready.Task;

    /// <summary>Completes with the Stopwatch timestamp at which STOPPING=1 arrived.</summary>
    public Task<long> Stopping => _stopping.Task;

    public IReadOnlyList<string> Messages
    {
        get { lock (_messages) return [.. _messages]; }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[8192];
        try
        {
            // Bounded by the cancellation in Dispose; each datagram is small.
            while (!_stop.IsCancellationRequested)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                var at = Stopwatch.GetTimestamp();
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                lock (_messages)
                {
                    if (_messages.Count < MaxMessagesKept) _messages.Add(text);
                }
                foreach (var line in text.Split('\n'))
                {
                    if (line == "READY=1") _ready.TrySetResult(at);
                    else if (line == "STOPPING=1") _stopping.TrySetResult(at);
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _socket.Dispose();
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
        _stop.Dispose();
        try { File.Delete(Path); } catch (IOException) { }
    }
}
