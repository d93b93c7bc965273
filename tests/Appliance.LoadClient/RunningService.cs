using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Appliance.LoadClient;

/// <summary>
/// A service instance ready for traffic: its config, its process (READY=1 received), helpers to
/// open authenticated clients and read the service's CPU time, and a stop that reports how the
/// service shut down. Disposing always kills the process and deletes the temp directory.
/// </summary>
public sealed class RunningService : IAsyncDisposable
{
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private RunningService(ServiceConfig config, ServiceProcess process, TimeSpan startToReady)
    {
        Config = config;
        Process = process;
        StartToReady = startToReady;
    }

    public ServiceConfig Config { get; }
    public ServiceProcess Process { get; }
    public TimeSpan StartToReady { get; }

    public static async Task<RunningService> StartAsync(string binary, CancellationToken cancellation, int maxConnections = 2000, string extraToml = "", string logLevel = "warning")
    {
        var config = await ServiceConfig.CreateAsync(binary, cancellation, maxConnections, extraToml, logLevel);
        ServiceProcess? process = null;
        try
        {
            process = ServiceProcess.Start(config);
            var ready = await process.WaitReadyAsync(ReadyTimeout, cancellation);
            return new RunningService(config, process, ready);
        }
        catch
        {
            process?.Dispose();
            config.Dispose();
            throw;
        }
    }

    /// <summary>Connects and authenticates one client with the admin token.</summary>
    public Task<RpcClient> ConnectAsync(CancellationToken cancellation) => ConnectAsync(Config.WebSocketUri, Config.AdminToken, cancellation);

    /// <summary>Connects to any server speaking the service's JSON-RPC (the service, or the floor) and authenticates.</summary>
    public static async Task<RpcClient> ConnectAsync(Uri uri, string token, CancellationToken cancellation)
    {
        var client = await RpcClient.ConnectAsync(uri, CallTimeout, cancellation);
        try
        {
            await client.AuthenticateAsync(token, CallTimeout, cancellation);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>utime + stime of the service from /proc/PID/stat.</summary>
    public TimeSpan? CpuTime()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Process.Pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (IOException) { return null; }
    }

    /// <summary>get_metrics through the given (admin) client; null when it fails.</summary>
    public static async Task<JsonDocument?> MetricsAsync(RpcClient client, CancellationToken cancellation)
    {
        try
        {
            var reply = await client.CallAsync("get_metrics", null, wantDocument: true, CallTimeout, cancellation);
            if (!reply.IsError) return reply.Document;
            reply.Document?.Dispose();
        }
        catch (Exception ex) when (ex is TimeoutException or System.Net.WebSockets.WebSocketException) { }
        return null;
    }

    /// <summary>SIGTERM and a bounded wait; reports stop time, exit code, STOPPING=1 and (unless the
    /// scenario reads the log itself, <paramref name="reportLog"/> false) the service's log lines.</summary>
    public async Task StopAsync(Report report, string scenario, string label, CancellationToken cancellation, bool reportLog = true)
    {
        var stopped = await Process.TerminateAsync(TimeSpan.FromSeconds(30), cancellation);
        if (stopped is { } s)
        {
            report.Add(scenario, $"SIGTERM to exit ({label})", Report.Ms(s.Elapsed));
            if (s.ExitCode != 0) report.Observe(scenario, $"service exited with code {s.ExitCode} after SIGTERM ({label})");
            if (!Process.Notify.Stopping.IsCompleted) report.Observe(scenario, $"no STOPPING=1 notification on SIGTERM ({label})");
        }
        else
        {
            report.Observe(scenario, $"service did not exit within 30 s of SIGTERM ({label}); killed");
        }
        if (reportLog) ReportLog(report, scenario);
    }

    public void ReportLog(Report report, string scenario)
    {
        var lines = Process.Log;
        if (lines.Count == 0) return;
        report.Observe(scenario, $"service wrote {Process.LogLineCount} log line(s) at level warning+; first: `{lines[0]}`");
        foreach (var line in lines.Skip(1).Distinct().Take(5)) report.Observe(scenario, $"  service log: `{line}`");
    }

    public async ValueTask DisposeAsync()
    {
        Process.Dispose();
        Config.Dispose();
        await Task.CompletedTask;
    }
}
