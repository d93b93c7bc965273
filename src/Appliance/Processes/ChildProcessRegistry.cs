using System.Diagnostics;
using System.Text.Json;
using Appliance.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Processes;

/// <summary>
/// Keeps children (FFmpeg, ffprobe, rauc, the reboot command) from outliving the service. Every
/// running child started by <see cref="ProcessRunner"/> is recorded in
/// <c>&lt;state dir&gt;/child-processes.json</c> (written atomically) and removed when it ends. If the
/// service dies without stopping them (crash, SIGKILL, OOM), its children keep running, re-parented
/// to init, holding cameras and job slots the next run knows nothing about:
/// <see cref="ReapLeftovers"/> at start stops the process groups the previous run recorded, but only
/// those still provably the same processes. <see cref="StopAllAsync"/> stops this run's children at shutdown.
/// </summary>
public sealed class ChildProcessRegistry
{
    public const string FileName = "child-processes.json";

    /// <summary>The same file under the name it had while only FFmpeg children were recorded. A box
    /// updated over the air may find it after a crash of the old version: it is read at start
    /// (same format) and removed once its leftovers are reaped.</summary>
    public const string LegacyFileName = "ffmpeg-children.json";

    private readonly Lock _gate = new();
    private readonly Dictionary<int, (ChildProcessRecord Record, ChildProcess Process)> _live = [];
    private readonly ILogger _log;
    private readonly string _bootId = ProcFs.BootId();

    public ChildProcessRegistry(string stateDirectory, ILogger? log = null)
    {
        FilePath = Path.Combine(stateDirectory, FileName);
        _legacyFilePath = Path.Combine(stateDirectory, LegacyFileName);
        _log = log ?? NullLogger.Instance;
    }

    public string FilePath { get; }

    private readonly string _legacyFilePath;

    /// <summary>Records a started child and forgets it when it exits.</summary>
    public void Track(ChildProcess process)
    {
        // Already gone before /proc could be read: nothing can be left over.
        if (process.StartTime is not { } startTime) return;
        var record = new ChildProcessRecord(process.Pid, process.Pid, process.Program, startTime, _bootId, DateTimeOffset.UtcNow);
        lock (_gate)
        {
            _live[process.Pid] = (record, process);
            SaveLocked();
        }
        _ = process.Exited.ContinueWith((_, state) => Forget((ChildProcess)state!), process,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// At service start, before any job: stops the process groups recorded by a previous run that
    /// are still alive AND still the same processes (same boot, same start time, still leading their
    /// group, argv[0] the recorded program): SIGTERM (FFmpeg finishes a recording's file), then
    /// SIGKILL after <paramref name="grace"/> (default 2 s). Records that fail any check are
    /// dropped untouched: their PID now belongs to someone else. Then the file holds only this
    /// run's children. Returns the records whose groups were stopped.
    /// </summary>
    public IReadOnlyList<ChildProcessRecord> ReapLeftovers(TimeSpan? grace = null)
    {
        List<ChildProcessRecord> recorded;
        HashSet<int> ours;
        lock (_gate)
        {
            recorded = [.. Load(FilePath), .. Load(_legacyFilePath)];
            ours = [.. _live.Keys];
        }

        var leftovers = new List<ChildProcessRecord>();
        foreach (var record in recorded.Where(r => !ours.Contains(r.Pid)))
        {
            if (StillOurs(record, out var why)) leftovers.Add(record);
            else _log.LogDebug("Not reaping recorded pid {Pid} ({Program}): {Why}", record.Pid, record.Program, why);
        }

        foreach (var record in leftovers)
        {
            _log.LogWarning("Stopping {Program} (pid {Pid}) left running by a previous run started {StartedAt:u}", record.Program, record.Pid, record.StartedAt);
            TrySignal(record.ProcessGroup, ProcessInterop.SigTerm);
            TrySignal(record.ProcessGroup, ProcessInterop.SigCont); // a stopped process acts on SIGTERM only once continued
        }
        // They are not our children (init adopted them), so there is no exit to await: watch /proc.
        var deadline = Stopwatch.GetTimestamp() + (long)((grace ?? TimeSpan.FromSeconds(2)).TotalSeconds * Stopwatch.Frequency);
        while (leftovers.Any(r => ProcFs.IsAlive(r.Pid)) && Stopwatch.GetTimestamp() < deadline) Thread.Sleep(50);
        // SIGKILL every group either way: members that ignore SIGTERM (or a leader that already
        // exited) must not stay behind. The group id cannot have been reused while it has members.
        foreach (var record in leftovers) TrySignal(record.ProcessGroup, ProcessInterop.SigKill);

        lock (_gate) SaveLocked();
        try
        {
            File.Delete(_legacyFilePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("Could not remove {File}: {Error}", _legacyFilePath, ex.Message);
        }
        return leftovers;
    }

    /// <summary>At service shutdown: stops every child of this run, each by its own ladder (FFmpeg:
    /// q, SIGTERM, SIGKILL; see <see cref="ChildProcess.StopAsync"/>); cancelling skips to SIGKILL.</summary>
    public async Task StopAllAsync(CancellationToken cancellation = default)
    {
        ChildProcess[] processes;
        lock (_gate) processes = [.. _live.Values.Select(v => v.Process)];
        await Task.WhenAll(processes.Select(async process =>
        {
            try
            {
                var stop = await process.StopAsync(cancellation).ConfigureAwait(false);
                _log.LogInformation("Stopped {Process} at shutdown: {Outcome}", process, stop.Outcome);
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Could not stop {Process} at shutdown", process);
            }
            Forget(process);
        })).ConfigureAwait(false);
    }

    /// <summary>Writes a state file as a run leaves it.</summary>
    internal static void WriteFile(string path, IEnumerable<ChildProcessRecord> records) =>
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(new ChildProcessFile { Children = [.. records] }, ChildProcessJsonContext.Default.ChildProcessFile));

    internal static IReadOnlyList<ChildProcessRecord> ReadFile(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), ChildProcessJsonContext.Default.ChildProcessFile)?.Children ?? [] : [];

    internal bool StillOurs(ChildProcessRecord record, out string why)
    {
        why = "";
        if (record.BootId != _bootId) why = "recorded in another boot";
        else if (record.ProcessGroup <= 1 || record.ProcessGroup == ProcessInterop.GetProcessGroup()) why = "not a group we would signal";
        else if (!ProcFs.TryReadStat(record.Pid, out var stat) || !stat.IsAlive) why = "no longer running";
        else if (stat.StartTime != record.StartTime) why = "PID reused by a process started at another time";
        else if (stat.ProcessGroup != record.ProcessGroup) why = "no longer leads its process group";
        else if (!StartsWithProgram(ProcFs.ReadCommandLine(record.Pid), record.Program)) why = "PID now runs another program";
        return why.Length == 0;
    }

    /// <summary>
    /// The recorded program is among the first three arguments: argv[0] for a binary; argv[1] or
    /// argv[2] for a script run through its shebang (the kernel puts the interpreter, and its one
    /// optional argument, first: "/bin/sh [-e] /path/script"); argv[2] for a child caught inside
    /// setsid before its exec ("setsid -- /path/program"). The start time has already matched, so
    /// this only has to rule out the PID having been reused in the same clock tick.
    /// </summary>
    private static bool StartsWithProgram(string[] argv, string program) => argv.Take(3).Contains(program, StringComparer.Ordinal);

    private void Forget(ChildProcess process)
    {
        lock (_gate)
        {
            if (!_live.TryGetValue(process.Pid, out var entry) || !ReferenceEquals(entry.Process, process)) return;
            _live.Remove(process.Pid);
            SaveLocked();
        }
    }

    private void TrySignal(int pgid, int signal)
    {
        try
        {
            ProcessInterop.SignalGroup(pgid, signal);
        }
        catch (Exception ex) when (ex is IOException or ArgumentOutOfRangeException)
        {
            _log.LogWarning("Could not signal process group {Pgid}: {Error}", pgid, ex.Message);
        }
    }

    private IReadOnlyList<ChildProcessRecord> Load(string path)
    {
        try
        {
            return ReadFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // Unreadable: nothing can be verified, so nothing is killed; it is rewritten (or removed) after the reaping.
            _log.LogWarning("Ignoring unreadable {File}: {Error}", path, ex.Message);
            return [];
        }
    }

    private void SaveLocked()
    {
        try
        {
            WriteFile(FilePath, _live.Values.Select(v => v.Record).OrderBy(r => r.Pid));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Recording is best effort: a full or read-only state dir must not fail the snapshot itself.
            _log.LogWarning("Could not record child processes in {File}: {Error}", FilePath, ex.Message);
        }
    }
}
