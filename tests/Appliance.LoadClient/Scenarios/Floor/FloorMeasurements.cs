using System.Collections.Concurrent;
using System.Diagnostics;

namespace Appliance.LoadClient.Scenarios.Floor;

/// <summary>
/// The two figure groups the floor scenario takes from each server, each on a freshly started
/// one: <see cref="IdleAsync"/> (start to first handshake, idle VmRSS, idle CPU, memory per
/// idle connection) and <see cref="PingAsync"/> (sequential and concurrent pings). The same code
/// measures the floor and the service; values go to <c>record</c>, oddities to <c>observe</c>.
/// </summary>
public static class FloorMeasurements
{
    public const int OpenConcurrency = 50;
    public const int WarmUpPings = 100;
    public const int SequentialPings = 2_000;
    public const int ConcurrentClients = 50;
    public const int PingsPerClient = 200;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RssAfterStart = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SettleAfterOpen = TimeSpan.FromSeconds(2);

    public static async Task IdleAsync(BenchServer server, Options options, Action<Figure, double> record, Action<string> observe, CancellationToken cancellation)
    {
        var handshake = await server.WaitFirstHandshakeAsync(HandshakeTimeout, cancellation);
        record(Figure.FirstHandshake, handshake.TotalMilliseconds);

        var untilRss = RssAfterStart - Stopwatch.GetElapsedTime(server.StartedAt);
        if (untilRss > TimeSpan.Zero) await Task.Delay(untilRss, cancellation);
        var idle = server.Read() ?? throw new InvalidOperationException($"{server.Kind} exited while idle");
        record(Figure.IdleRss, idle.RssBytes / 1024.0 / 1024.0);

        var window = TimeSpan.FromSeconds(options.FloorIdleSeconds);
        var runBefore = ThreadRunTime.Read(server.Pid);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(window, cancellation);
        var runAfter = ThreadRunTime.Read(server.Pid);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var afterWindow = server.Read() ?? throw new InvalidOperationException($"{server.Kind} exited while idle");
        record(Figure.IdleCpuTicks, (afterWindow.Cpu - idle.Cpu) / window * 100);
        if (runBefore is not null && runAfter is not null) record(Figure.IdleCpu, ThreadRunTime.Between(runBefore, runAfter) / elapsed * 100);
        else observe("no /proc/PID/task/TID/schedstat: idle CPU only in 10 ms ticks");

        var clients = new ConcurrentBag<RpcClient>();
        try
        {
            var failures = new ConcurrentQueue<string>();
            var before = afterWindow.RssBytes;
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Connections), new ParallelOptions { MaxDegreeOfParallelism = OpenConcurrency, CancellationToken = cancellation },
                async (_, token) =>
                {
                    try { clients.Add(await server.ConnectAsync(token)); }
                    catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested) { failures.Enqueue($"{ex.GetType().Name}: {ex.Message}"); }
                });
            if (!failures.IsEmpty) observe($"{failures.Count} of {options.Connections} connections failed to open/authenticate; first: {failures.First()}");
            await Task.Delay(SettleAfterOpen, cancellation);
            var after = server.Read() ?? throw new InvalidOperationException($"{server.Kind} exited holding connections");
            if (clients.IsEmpty) throw new InvalidOperationException("no connection opened");
            record(Figure.MemoryPerConnection, (after.RssBytes - before) / (double)clients.Count / 1024.0);
            var dropped = clients.Count(c => !c.IsOpen);
            if (dropped > 0) observe($"{dropped} idle connection(s) ended before the memory reading");
        }
        finally
        {
            server.Dispose(); // kill first, so closing the clients does not wait on a live server
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    public static async Task PingAsync(BenchServer server, Action<Figure, double> record, Action<string> observe, CancellationToken cancellation)
    {
        await server.WaitFirstHandshakeAsync(HandshakeTimeout, cancellation);
        await using (var client = await server.ConnectAsync(cancellation))
        {
            await PingsAsync(client, WarmUpPings, null, cancellation);
            var cpuBefore = server.Read()?.Cpu;
            var started = Stopwatch.GetTimestamp();
            var errors = await PingsAsync(client, SequentialPings, null, cancellation);
            var elapsed = Stopwatch.GetElapsedTime(started);
            var cpuAfter = server.Read()?.Cpu;
            record(Figure.SinglePingThroughput, (SequentialPings - errors) / elapsed.TotalSeconds);
            if (cpuBefore is { } b && cpuAfter is { } a) record(Figure.CpuPerPing, (a - b).TotalMicroseconds / SequentialPings);
            if (errors > 0) observe($"1 client: {errors} of {SequentialPings} pings did not return pong");
        }

        var clients = new List<RpcClient>();
        try
        {
            for (var i = 0; i < ConcurrentClients; i++) clients.Add(await server.ConnectAsync(cancellation));
            var recorders = clients.Select(_ => new LatencyRecorder(PingsPerClient)).ToArray();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var loops = clients.Select((c, i) => Task.Run(async () => { await go.Task; return await PingsAsync(c, PingsPerClient, recorders[i], cancellation); })).ToArray();
            var started = Stopwatch.GetTimestamp();
            go.SetResult();
            var errors = (await Task.WhenAll(loops)).Sum();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var summary = LatencyRecorder.Summarize(recorders);
            record(Figure.ConcurrentPingThroughput, summary.Count / elapsed.TotalSeconds);
            record(Figure.ConcurrentPingP99, summary.Percentile(99));
            if (errors > 0) observe($"{ConcurrentClients} clients: {errors} of {ConcurrentClients * PingsPerClient} pings did not return pong");
        }
        finally
        {
            server.Dispose();
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    /// <summary>Back-to-back pings on one connection; returns how many did not answer pong.</summary>
    private static async Task<int> PingsAsync(RpcClient client, int count, LatencyRecorder? recorder, CancellationToken cancellation)
    {
        var errors = 0;
        for (var i = 0; i < count; i++)
        {
            var reply = await client.CallAsync("ping", null, wantDocument: false, RunningService.CallTimeout, cancellation);
            if (!reply.IsPong) errors++;
            else recorder?.Add(reply.ReceivedAt - reply.SentAt, reply.SentAt);
        }
        return errors;
    }
}
