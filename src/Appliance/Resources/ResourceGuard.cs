using System.Globalization;
using Appliance.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Resources;

/// <summary>A new long-running job would take more than the box has to spare; names the limit hit.</summary>
/// <param name="Limit">The config key of the limit (resources.max_cpu_pressure, …).</param>
public sealed class ResourceLimitException(string limit, string message) : Exception(message)
{
    public string Limit { get; } = limit;
}

/// <summary>What the guard saw when it decided (for the refusal's words and for tests).</summary>
public readonly record struct MachineLoadSample(double? CpuPressurePercent, double? CpuBusyPercent, long MemoryAvailableMb);

/// <summary>
/// Admits long-running media work (recordings) by what the box has left, not by a count. A
/// stream-copy recording costs almost no CPU (about 0.005 of a core) and about 16 MiB, so a Pi holds
/// many: it is refused only when memory runs short or the CPUs are so oversubscribed that tasks
/// already wait for them most of the time (the new recorder would fall behind and lose frames). A
/// transcoding recording costs up to a whole core, so it also needs that much idle CPU, or it would
/// starve the cameras already recording. The limits are the <c>[resources]</c> keys, read at every
/// check (they apply live).
/// </summary>
public sealed class ResourceGuard(Func<ResourcesSection> settings, MachineLoad machine, ILogger? log = null)
{
    private readonly ILogger _log = log ?? NullLogger.Instance;
    private int _noPsiLogged;

    public ResourceGuard(ConfigStore config, MachineLoad machine, ILogger<ResourceGuard> log)
        : this(() => config.Current.Resources, machine, log)
    {
    }

    /// <summary>Throws <see cref="ResourceLimitException"/> when a new recording (transcoding or not) would not fit now.</summary>
    public async Task EnsureRoomForRecordingAsync(bool transcode, CancellationToken ct)
    {
        var pressure = machine.CpuPressurePercent();
        if (pressure is null && Interlocked.Exchange(ref _noPsiLogged, 1) == 0)
            _log.LogInformation("This kernel has no CPU pressure information (/proc/pressure/cpu): recordings are admitted by memory (and transcodes by idle CPU) only");
        // The busy share takes a measuring window; only a transcode needs it.
        var busy = transcode ? await machine.CpuBusyPercentAsync(ct).ConfigureAwait(false) : (double?)null;
        var problem = Check(settings(), new MachineLoadSample(pressure, busy, machine.MemoryAvailableMb()), transcode);
        if (problem is null) return;
        _log.LogWarning("Refused a {Kind} recording: {Problem}", transcode ? "transcoding" : "stream-copy", problem.Message);
        throw problem;
    }

    /// <summary>The first limit <paramref name="now"/> breaks for such a recording, or null.</summary>
    public static ResourceLimitException? Check(ResourcesSection limits, MachineLoadSample now, bool transcode)
    {
        if (now.MemoryAvailableMb < limits.MinMemoryMb)
            return new ResourceLimitException("resources.min_memory_mb",
                $"only {now.MemoryAvailableMb} MiB of memory available (resources.min_memory_mb = {limits.MinMemoryMb})");
        if (now.CpuPressurePercent > limits.MaxCpuPressure)
            return new ResourceLimitException("resources.max_cpu_pressure",
                $"tasks waited for a CPU {Percent(now.CpuPressurePercent.Value)} % of the last 10 s (resources.max_cpu_pressure = {limits.MaxCpuPressure})");
        if (transcode && now.CpuBusyPercent > limits.TranscodeMaxCpuPercent)
            return new ResourceLimitException("resources.transcode_max_cpu_percent",
                $"the CPUs are {Percent(now.CpuBusyPercent.Value)} % busy (resources.transcode_max_cpu_percent = {limits.TranscodeMaxCpuPercent}): " +
                "transcoding now would starve the cameras already recording; record with codec \"copy\"");
        return null;
    }

    private static string Percent(double value) => value.ToString("0", CultureInfo.InvariantCulture);
}
