using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Appliance.Testing.MediaMtx;

namespace Appliance.LoadClient.Scenarios;

// The scale scenario's small helpers: waiting, percentiles, the machine's load.
public sealed partial class ScaleScenario
{
    private static async Task<double> MachineBusyAsync(TimeSpan over, CancellationToken cancellation)
    {
        var before = MachineCpu.Read();
        await Task.Delay(over, cancellation);
        return before is { } b && MachineCpu.Read() is { } a ? a.BusyShareSince(b) : double.NaN;
    }

    /// <summary>The kernel's CPU pressure, "some avg10" of /proc/pressure/cpu (what the service's resource guard reads); null without PSI.</summary>
    private static double? CpuPressure()
    {
        try
        {
            var line = File.ReadLines("/proc/pressure/cpu").FirstOrDefault() ?? "";
            var field = line.Split(' ').FirstOrDefault(f => f.StartsWith("avg10=", StringComparison.Ordinal));
            return field is not null && double.TryParse(field.AsSpan(6), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
        }
        catch (IOException) { return null; }
    }

    private static bool IsReady(MediaMtxStandIn standIn, string path) => standIn.GetPath(path)?["ready"]?.GetValue<bool>() == true;

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellation, int pollMs = 50)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Math.Max(0, timeout.TotalSeconds) * Stopwatch.Frequency);
        for (var i = 0; i < Math.Max(0, timeout.TotalMilliseconds) / pollMs + 2; i++)
        {
            if (condition()) return true;
            if (Stopwatch.GetTimestamp() >= deadline) break;
            await Task.Delay(pollMs, cancellation);
        }
        return condition();
    }

    /// <summary>Nearest-rank percentile (p in 0..100), as <see cref="LatencySummary"/>.</summary>
    private static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Percent(double share) => double.IsNaN(share) ? "unknown" : share.ToString("P0", CultureInfo.InvariantCulture);

    private static string Triple(IReadOnlyCollection<double> ms) =>
        ms.Count == 0 ? "no samples" : $"{Report.Ms(Percentile(ms, 50))} / {Report.Ms(Percentile(ms, 99))} / {Report.Ms(ms.Max())}";

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, name)));

    private static long Long(JsonDocument metrics, string group, string name) =>
        metrics.RootElement.GetProperty("result").GetProperty(group).GetProperty(name).GetInt64();
}
