using System.Diagnostics;
using System.Globalization;

namespace Appliance.LoadClient;

/// <summary>
/// One running floor (tests/Appliance.Floor: a bare Kestrel WebSocket server answering the
/// load client's JSON-RPC minimally) on a free 127.0.0.1 port, optionally under `taskset -c`.
/// The floor writes nothing; whatever it does write is kept (bounded) for error messages.
/// Always killed on Dispose.
/// </summary>
public sealed class FloorProcess : IDisposable
{
    private const int MaxOutputLinesKept = 20;
    private readonly Process _process;
    private readonly List<string> _output = [];
    private int _disposed;

    private FloorProcess(Process process, int port, long startedAt)
    {
        _process = process;
        Port = port;
        StartedAt = startedAt;
    }

    public int Port { get; }

    /// <summary>The same path as the service's JSON-RPC endpoint (ServiceConfig.WebSocketUri).</summary>
    public Uri WebSocketUri => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/ws");

    /// <summary>Stopwatch timestamp taken just before the process was spawned.</summary>
    public long StartedAt { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Output
    {
        get { lock (_output) return [.. _output]; }
    }

    /// <param name="cpu">When given, the floor runs under `taskset -c CPU`.</param>
    public static FloorProcess Start(string binary, int? cpu)
    {
        var port = ServiceConfig.FreeLoopbackPort();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        // The environment the service gets (ServiceProcess.Start): whatever else is set applies to both alike.
        ServiceProcess.CleanEnvironment(info);
        if (cpu is { } c) CpuPinning.Prefix(info, c);
        var process = new Process { StartInfo = info };
        var started = Stopwatch.GetTimestamp();
        if (!process.Start()) throw new InvalidOperationException($"could not start {binary}");
        var floor = new FloorProcess(process, port, started);
        process.OutputDataReceived += (_, e) => floor.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => floor.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return floor;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            if (_output.Count < MaxOutputLinesKept) _output.Add(line);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        ProcessTree.KillAndDispose(_process);
    }
}
