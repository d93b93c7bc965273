using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Appliance.LoadClient;

/// <summary>Collects figures and observations from the scenarios and renders them as Markdown.</summary>
public sealed class Report
{
    private readonly List<(string Scenario, string Metric, string Value)> _rows = [];
    private readonly List<string> _observations = [];
    private readonly List<string> _failures = [];
    private readonly List<(string Heading, string? Note, string[] Columns, List<string[]> Rows)> _tables = [];

    public bool Failed => _failures.Count > 0;

    public void Add(string scenario, string metric, string value)
    {
        lock (_rows) _rows.Add((scenario, metric, value));
    }

    /// <summary>Something worth a second look (errors, dropped connections, service log lines).</summary>
    public void Observe(string scenario, string text)
    {
        lock (_observations) _observations.Add($"{scenario}: {text}");
    }

    /// <summary>A table of its own under the figures (e.g. one figure per round), rendered in the order added.</summary>
    public void AddTable(string heading, string? note, string[] columns, IEnumerable<string[]> rows)
    {
        lock (_tables) _tables.Add((heading, note, columns, [.. rows]));
    }

    public void Fail(string scenario, string text)
    {
        lock (_failures) _failures.Add($"{scenario}: {text}");
    }

    public static string Ms(double ms) => double.IsNaN(ms) ? "n/a" : ms < 10 ? ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms" : ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
    public static string Ms(TimeSpan t) => Ms(t.TotalMilliseconds);
    public static string MiB(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
    public static string KiB(double bytes) => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB";
    public static string Number(double n, string format = "#,0") => n.ToString(format, CultureInfo.InvariantCulture);

    public string Render(string machine, string settings)
    {
        var md = new StringBuilder();
        md.AppendLine("## Machine").AppendLine().AppendLine(machine).AppendLine();
        md.AppendLine("## Settings").AppendLine().AppendLine(settings).AppendLine();
        md.AppendLine("## Figures").AppendLine();
        md.AppendLine("| Scenario | Metric | Value |");
        md.AppendLine("|---|---|---|");
        foreach (var (scenario, metric, value) in _rows)
            md.AppendLine($"| {Escape(scenario)} | {Escape(metric)} | {Escape(value)} |");
        md.AppendLine();
        foreach (var (heading, note, columns, rows) in _tables)
        {
            md.AppendLine("### " + heading).AppendLine();
            if (note is not null) md.AppendLine(note).AppendLine();
            md.AppendLine("| " + string.Join(" | ", columns.Select(Escape)) + " |");
            md.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
            foreach (var row in rows) md.AppendLine("| " + string.Join(" | ", row.Select(Escape)) + " |");
            md.AppendLine();
        }
        md.AppendLine("## Observations").AppendLine();
        if (_observations.Count == 0) md.AppendLine("- none: no errors, drops or service log lines");
        foreach (var o in _observations) md.AppendLine("- " + o.Replace("\n", " ", StringComparison.Ordinal));
        if (_failures.Count > 0)
        {
            md.AppendLine().AppendLine("## FAILED").AppendLine();
            foreach (var f in _failures) md.AppendLine("- " + f.Replace("\n", " ", StringComparison.Ordinal));
        }
        return md.ToString();
    }

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);

    /// <summary>nproc, CPU model, memory, OS, kernel, .NET, the service's --version, and the date (UTC).</summary>
    public static async Task<string> DescribeMachineAsync(ServiceConfig? config, CancellationToken cancellation)
    {
        var nproc = await RunAsync("nproc", cancellation) ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        var cpu = ReadKey("/proc/cpuinfo", "model name", ':') ?? "unknown";
        var memTotal = ReadKey("/proc/meminfo", "MemTotal", ':') ?? "unknown";
        var os = ReadKey("/etc/os-release", "PRETTY_NAME", '=')?.Trim('"') ?? RuntimeInformation.OSDescription;
        var kernel = ReadFirstLine("/proc/sys/kernel/osrelease") ?? "unknown";
        var load = ReadFirstLine("/proc/loadavg") ?? "unknown";
        // Other work on the machine skews every figure: measure how busy it is before starting.
        var before = MachineCpu.Read();
        await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
        var busy = before is { } b && MachineCpu.Read() is { } a ? a.BusyShareSince(b).ToString("P0", CultureInfo.InvariantCulture) : "unknown";
        var service = "unknown";
        if (config is not null)
        {
            var (exit, stdout, _) = await config.RunToolAsync(["--version"], cancellation);
            if (exit == 0) service = stdout.Trim();
        }
        return $"""
            - Date: {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}
            - CPU: {cpu}, nproc = {nproc.Trim()}
            - Memory: {memTotal}
            - OS: {os}, kernel {kernel}
            - .NET (load client): {RuntimeInformation.FrameworkDescription} {RuntimeInformation.RuntimeIdentifier}
            - Service: `{service}` (Native AOT)
            - Machine busy before the run: {busy} of all cores over 1 s (load average {load})
            """;
    }

    private static string? ReadKey(string file, string key, char separator)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var i = line.IndexOf(separator);
                if (i > 0 && line[..i].Trim() == key) return line[(i + 1)..].Trim();
            }
        }
        catch (IOException) { }
        return null;
    }

    private static string? ReadFirstLine(string file)
    {
        try { return File.ReadLines(file).FirstOrDefault()?.Trim(); }
        catch (IOException) { return null; }
    }

    private static async Task<string?> RunAsync(string program, CancellationToken cancellation)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false });
            if (process is null) return null;
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            bound.CancelAfter(TimeSpan.FromSeconds(5));
            var output = await process.StandardOutput.ReadToEndAsync(bound.Token);
            await process.WaitForExitAsync(bound.Token);
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { return null; }
    }
}
