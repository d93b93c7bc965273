using Appliance.LoadClient.Scenarios.Floor;

namespace Appliance.LoadClient.Scenarios;

/// <summary>
/// floor (issue 19): the service against the floor (tests/Appliance.Floor, a bare Kestrel
/// WebSocket server from the same SDK), interleaved in one run. Each of --rounds rounds measures
/// both, one after the other, alternating which goes first; each figure group gets a freshly
/// started server under `taskset -c` on one core while the client pins itself to another.
/// Reports one table per figure (floor, service, service / floor per round, median of the ratios).
/// </summary>
public sealed class FloorScenario : IScenario
{
    public string Name => "floor";

    // Per server and round: the idle window plus start, connections and pings (well under 60 s on a 2-core VM).
    public TimeSpan Budget(Options options) => TimeSpan.FromSeconds(60 + options.Rounds * 2 * (options.FloorIdleSeconds + 60));

    public async Task RunAsync(Options options, Report report, CancellationToken cancellation)
    {
        var figures = FigureInfo.All(options).Select(info => new FigureTable(info)).ToDictionary(t => t.Info.Figure);
        var pinning = CpuPinning.Choose(out var how);
        report.Add(Name, "pinning", how);
        var failures = 0;
        using (var affinity = pinning is null ? null : ClientAffinity.Pin(pinning.ClientCpu))
        {
            if (affinity is { Failed: > 0 }) report.Observe(Name, $"{affinity.Failed} load-client thread(s) could not be pinned to CPU {pinning!.ClientCpu}");
            await WarmUpClientAsync(options, pinning, cancellation);
            for (var round = 1; round <= options.Rounds; round++)
            {
                ServerKind[] order = round % 2 == 1 ? [ServerKind.Floor, ServerKind.Service] : [ServerKind.Service, ServerKind.Floor];
                var first = order[0].ToString().ToLowerInvariant();
                foreach (var kind in order)
                {
                    Console.Error.WriteLine($"  floor: round {round}/{options.Rounds}, {kind.ToString().ToLowerInvariant()}");
                    void Record(Figure figure, double value) => figures[figure].Set(round, first, kind, value);
                    void Observe(string text) => report.Observe(Name, $"round {round}, {kind.ToString().ToLowerInvariant()}: {text}");
                    if (!await TryGroupAsync("idle figures", options, pinning, kind, Observe, cancellation,
                            server => FloorMeasurements.IdleAsync(server, options, Record, Observe, cancellation))) failures++;
                    if (!await TryGroupAsync("ping figures", options, pinning, kind, Observe, cancellation,
                            server => FloorMeasurements.PingAsync(server, Record, Observe, cancellation))) failures++;
                }
            }
        }

        foreach (var table in figures.Values)
        {
            report.AddTable($"Floor vs service: {table.Info.Title} ({table.Info.Unit})", table.Info.Note, FigureTable.Columns, table.Rows());
            report.Add(Name, $"{table.Info.Title}: service / floor, median of {options.Rounds} round(s)", FigureTable.FormatRatio(table.MedianRatio));
        }
        if (failures > 0) report.Fail(Name, $"{failures} figure group(s) failed (see observations)");
    }

    /// <summary>One figure group on a freshly started server; a failure is observed and the run goes on.</summary>
    private static async Task<bool> TryGroupAsync(string group, Options options, CpuPinning? pinning, ServerKind kind, Action<string> observe,
        CancellationToken cancellation, Func<BenchServer, Task> measure)
    {
        try
        {
            using var server = await BenchServer.StartAsync(kind, options, pinning?.ServerCpu, options.Connections + 100, cancellation);
            await measure(server);
            if (server.PinningProblem is { } problem) observe(problem);
            return true;
        }
        catch (Exception ex) when (!cancellation.IsCancellationRequested)
        {
            observe($"{group} failed: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>The load client is JIT-compiled: one unmeasured pass over its connect, authenticate and
    /// ping paths against a throw-away floor, so round 1 does not pay for compiling them.</summary>
    private static async Task WarmUpClientAsync(Options options, CpuPinning? pinning, CancellationToken cancellation)
    {
        using var server = await BenchServer.StartAsync(ServerKind.Floor, options, pinning?.ServerCpu, 0, cancellation);
        await FloorMeasurements.PingAsync(server, (_, _) => { }, _ => { }, cancellation);
    }
}
