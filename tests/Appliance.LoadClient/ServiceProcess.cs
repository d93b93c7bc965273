using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Appliance.LoadClient;

/// <summary>
/// One running instance of the service binary: started with NOTIFY_SOCKET pointing at our
/// <see cref="NotifySocket"/>, its console output collected (bounded), its memory read from
/// /proc, and always killed on Dispose whatever happened before.
/// </summary>
public sealed partial class ServiceProcess : IDisposable
{
    private const int MaxLogLinesKept = 200;
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly List<string> _log = [];
    private int _logLines;
    private int _disposed;

    private ServiceProcess(Process process, NotifySocket notify, long startedAt)
    {
        _process = process;
        Notify = notify;
        StartedAt = startedAt;
    }

    public NotifySocket Notify { get; }

    /// <summary>Stopwatch timestamp taken just before the process was spawned.</summary>
    public long StartedAt { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Lines the service wrote to stdout/stderr (first <see cref="MaxLogLinesKept"/>).</summary>
    public IReadOnlyList<string> Log
    {
        get { lock (_log) return [.. _log]; }
    }

    public int LogLineCount => Volatile.Read(ref _logLines);

    /// <summary>Every line the service writes, as it arrives (on a thread-pool thread), also past the first <see cref="MaxLogLinesKept"/>.</summary>
    public event Action<string>? LineReceived;

    /// <summary>Drops variables that would change what is measured: config overrides and systemd's own.</summary>
    public static void CleanEnvironment(ProcessStartInfo info)
    {
        foreach (var key in info.Environment.Keys.ToList())
        {
            if (key.StartsWith("APPLIANCE_", StringComparison.Ordinal) || key is "NOTIFY_SOCKET" or "WATCHDOG_USEC" or "WATCHDOG_PID" or "LISTEN_FDS" or "LISTEN_PID")
                info.Environment.Remove(key);
        }
    }

    /// <param name="cpu">When given, the service runs under `taskset -c CPU` (see <see cref="CpuPinning"/>).</param>
    public static ServiceProcess Start(ServiceConfig config, int? cpu = null)
    {
        var notify = new NotifySocket(config.NotifySocketPath);
        try
        {
            var info = new ProcessStartInfo(config.Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = false,
                UseShellExecute = false,
                WorkingDirectory = config.Directory,
            };
            info.ArgumentList.Add("--config");
            info.ArgumentList.Add(config.ConfigPath);
            CleanEnvironment(info);
            info.Environment["NOTIFY_SOCKET"] = config.NotifySocketPath;
            if (cpu is { } c) CpuPinning.Prefix(info, c);
            var process = new Process { StartInfo = info, EnableRaisingEvents = true };
            var started = Stopwatch.GetTimestamp();
            if (!process.Start()) throw new InvalidOperationException($"could not start {config.Binary}");
            var service = new ServiceProcess(process, notify, started);
            process.OutputDataReceived += (_, e) => service.AddLog(e.Data);
            process.ErrorDataReceived += (_, e) => service.AddLog(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return service;
        }
        catch
        {
            notify.Dispose();
            throw;
        }
    }

    private void AddLog(string? line)
    {
        if (line is null) return;
        LineReceived?.Invoke(line);
        Interlocked.Increment(ref _logLines);
        lock (_log)
        {
            if (_log.Count < MaxLogLinesKept) _log.Add(line);
        }
    }

    /// <summary>Waits for READY=1 on the notify socket; returns start-to-READY.</summary>
    public async Task<TimeSpan> WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var exited = _process.WaitForExitAsync(cancellation);
        var ready = Notify.Ready;
        var winner = await Task.WhenAny(ready, exited, Task.Delay(timeout, cancellation));
        cancellation.ThrowIfCancellationRequested();
        if (winner == ready) return Stopwatch.GetElapsedTime(StartedAt, await ready);
        if (winner == exited)
            throw new InvalidOperationException($"service exited with code {_process.ExitCode} before READY=1; output:\n  {string.Join("\n  ", Log.Take(20))}");
        throw new TimeoutException($"no READY=1 within {timeout.TotalSeconds:0} s; output:\n  {string.Join("\n  ", Log.Take(20))}");
    }

    /// <summary>VmRSS of the service in bytes, from /proc/PID/status; null once it has gone.</summary>
    public long? RssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024; // "VmRSS:  12345 kB"
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Threads of the service, from /proc/PID/status.</summary>
    public int? Threads()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status"))
                if (line.StartsWith("Threads:", StringComparison.Ordinal))
                    return int.Parse(line.AsSpan(8).Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>SIGTERM, then wait for a graceful exit. Returns (elapsed, exit code) or null (still running: caller kills).</summary>
    public async Task<(TimeSpan Elapsed, int ExitCode)?> TerminateAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        if (_process.HasExited) return (TimeSpan.Zero, _process.ExitCode);
        var start = Stopwatch.GetTimestamp();
        if (Kill(_process.Id, SigTerm) != 0) return null;
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        bound.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return null;
        }
        return (Stopwatch.GetElapsedTime(start), _process.ExitCode);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try { ProcessTree.KillAndDispose(_process); }
        finally { Notify.Dispose(); }
    }
}
