using System.Globalization;
using Appliance.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Storage;

/// <summary>
/// Enforces retention: every <c>storage.cleanup_interval</c> seconds (live), on
/// <c>cleanup_old_files</c>, and when a recording needs room (<see cref="FreeSpaceAsync"/>).
/// Always the OLDEST FINISHED files first, recordings and snapshots alike; a file being written
/// (<see cref="IActiveFiles"/>) is never deleted. One pass at a time: the periodic sweep, an API
/// call and a recorder asking for room never delete concurrently.
///
/// A pass: (1) the policy (<see cref="RetentionPolicyStore.Current"/>): "age" deletes files older
/// than max_age_days, "size" deletes the oldest while the collections exceed max_size_gb GiB;
/// "manual" or disabled deletes nothing. (2) Regardless of the policy, while a directory's file
/// system has less than <c>storage.min_free_mb</c> MiB available (statvfs f_bavail), the oldest
/// files on THAT file system go (deleting a file elsewhere would not help).
/// </summary>
public sealed class RetentionSweeper : IDisposable
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan FirstPassLimit = TimeSpan.FromSeconds(60);

    private readonly ConfigStore _config;
    private readonly FileCatalog _catalog;
    private readonly RetentionPolicyStore _policies;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _pass = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public RetentionSweeper(ConfigStore config, FileCatalog catalog, RetentionPolicyStore policies, ILogger log, TimeProvider? time = null)
    {
        _config = config;
        _catalog = catalog;
        _policies = policies;
        _log = log;
        _time = time ?? TimeProvider.System;
        config.Changed += OnConfigChanged;
    }

    // A shorter cleanup_interval should not wait out the old, longer one.
    private void OnConfigChanged(ConfigChange change)
    {
        if (!change.AppliedKeys.Contains("storage.cleanup_interval") || _wake.CurrentCount != 0) return;
        try { _wake.Release(); } catch (SemaphoreFullException) { }
    }

    public RetentionPolicyStore Policies => _policies;

    /// <summary>Starts the periodic sweep; the first pass runs after cleanup_interval or 60 s, whichever is sooner.</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>One pass now: the policy, then min_free_mb.</summary>
    public async Task<CleanupResult> RunAsync(CancellationToken cancellation = default)
    {
        await _pass.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var policy = _policies.Current;
            var deleted = new List<StoredFile>();
            var candidates = FinishedOldestFirst(out var all);
            var reasons = new List<string>();

            if (policy.Enabled && policy.PolicyType == "age")
            {
                var cutoff = _time.GetUtcNow() - policy.MaxAge;
                var reason = $"older than {Format(policy.MaxAgeDays)} days";
                var n = DeleteWhile(candidates, deleted, reason, f => f.Modified < cutoff, _ => { });
                if (n > 0) reasons.Add($"{n} {reason}");
            }
            else if (policy.Enabled && policy.PolicyType == "size")
            {
                var total = all.Sum(f => f.Size);
                var limit = policy.MaxSizeBytes;
                var reason = $"over the {Format(policy.MaxSizeGb)} GiB size limit";
                var n = DeleteWhile(candidates, deleted, reason, _ => total > limit, f => total -= f.Size);
                if (n > 0) reasons.Add($"{n} {reason}");
            }

            var minFree = (long)(_config.Current.Storage.MinFreeMb * MiB);
            var satisfied = true;
            foreach (var dir in new[] { _catalog.DirectoryOf(MediaKind.Recording), _catalog.DirectoryOf(MediaKind.Snapshot) }.Distinct())
            {
                var (n, ok) = FreeUpTo(dir, minFree, candidates, deleted, $"keeping {Format(_config.Current.Storage.MinFreeMb)} MiB free");
                if (n > 0) reasons.Add($"{n} to keep {Format(_config.Current.Storage.MinFreeMb)} MiB free");
                satisfied &= ok;
            }
            return Result(deleted, satisfied, reasons, $"policy {policy.PolicyType}{(policy.Enabled ? "" : " (disabled)")}");
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// Deletes the oldest finished files on the recordings file system until at least
    /// <paramref name="bytesNeeded"/> bytes are available there (for a recording that is filling
    /// the disk, or one about to start). <see cref="CleanupResult.Satisfied"/> is false when that
    /// could not be reached; then nothing is deleted at all.
    /// </summary>
    public async Task<CleanupResult> FreeSpaceAsync(long bytesNeeded, CancellationToken cancellation = default)
    {
        await _pass.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var candidates = FinishedOldestFirst(out _);
            var deleted = new List<StoredFile>();
            var reason = $"making room for {bytesNeeded} bytes";
            var dir = _catalog.DirectoryOf(MediaKind.Recording);
            // All or nothing. When even every finished file there would not free enough (the card is
            // full of something else), the recording is refused or stopped all the same: deleting
            // would only lose recordings for nothing, and every start_recording a client retried on
            // such a card would delete more of them (the fault matrix's disk-full test found that).
            if (!CouldFree(dir, bytesNeeded, candidates))
                return new CleanupResult(0, 0, [], false, $"No files deleted ({reason}): not enough space could be freed even by deleting every finished file");
            var (n, ok) = FreeUpTo(dir, bytesNeeded, candidates, deleted, reason);
            return Result(deleted, ok, n > 0 ? [$"{n} {reason}"] : [], reason);
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>Every file of both collections, and the ones that may be deleted (not being written), oldest first.</summary>
    private LinkedList<StoredFile> FinishedOldestFirst(out List<StoredFile> all)
    {
        all = [.. _catalog.Scan(MediaKind.Recording), .. _catalog.Scan(MediaKind.Snapshot)];
        var finished = all.Where(f => !_catalog.ActiveFiles.IsBeingWritten(f.FullPath)).ToList();
        finished.Sort((a, b) => StoredFile.NewestFirst(b, a));
        return new LinkedList<StoredFile>(finished);
    }

    /// <summary>Deletes from the front of <paramref name="candidates"/> while <paramref name="more"/> holds.</summary>
    private int DeleteWhile(LinkedList<StoredFile> candidates, List<StoredFile> deleted, string reason, Func<StoredFile, bool> more, Action<StoredFile> onDeleted)
    {
        var count = 0;
        var node = candidates.First;
        while (node is not null && more(node.Value))
        {
            var next = node.Next;
            if (TryDelete(node.Value, reason))
            {
                deleted.Add(node.Value);
                onDeleted(node.Value);
                count++;
            }
            candidates.Remove(node);
            node = next;
        }
        return count;
    }

    /// <summary>Whether deleting every candidate on <paramref name="dir"/>'s file system would make <paramref name="wanted"/> bytes available there.</summary>
    private static bool CouldFree(string dir, long wanted, LinkedList<StoredFile> candidates)
    {
        var available = DiskSpace.Of(dir).Available;
        if (available >= wanted) return true;
        var device = FileStat.Of(Path.Join(dir, ".")).Device;
        return available + candidates.Where(f => f.Stat.Device == device).Sum(f => f.Stat.AllocatedBytes) >= wanted;
    }

    /// <summary>Deletes the oldest candidates on <paramref name="dir"/>'s file system until <paramref name="wanted"/> bytes are available.</summary>
    private (int Deleted, bool Satisfied) FreeUpTo(string dir, long wanted, LinkedList<StoredFile> candidates, List<StoredFile> deleted, string reason)
    {
        if (wanted <= 0) return (0, true);
        var available = DiskSpace.Of(dir).Available;
        if (available >= wanted) return (0, true);
        // "dir/." follows a symlinked directory to the file system its files really live on.
        var device = FileStat.Of(Path.Join(dir, ".")).Device;
        var count = 0;
        var node = candidates.First;
        while (node is not null && available < wanted)
        {
            var next = node.Next;
            if (node.Value.Stat.Device == device)
            {
                if (TryDelete(node.Value, reason))
                {
                    deleted.Add(node.Value);
                    // What the file occupied, not a fresh statvfs: a file still open elsewhere (a
                    // download) frees its blocks only at close, and re-reading would delete more.
                    available += node.Value.Stat.AllocatedBytes;
                    count++;
                }
                candidates.Remove(node);
            }
            node = next;
        }
        return (count, available >= wanted);
    }

    private bool TryDelete(StoredFile file, string reason)
    {
        // Asked again right before the unlink: a recording may have started on it since the scan.
        if (_catalog.ActiveFiles.IsBeingWritten(file.FullPath)) return false;
        try
        {
            if (!_catalog.TryUnlink(file)) return false;
            _log.LogInformation("Retention deleted {File} ({Size} bytes, modified {Modified:u}): {Reason}", file.FullPath, file.Size, file.Modified, reason);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _log.LogError("Retention could not delete {File}: {Reason}", file.FullPath, ex.Message);
            return false;
        }
    }

    private static CleanupResult Result(List<StoredFile> deleted, bool satisfied, List<string> reasons, string context)
    {
        var bytes = deleted.Sum(f => f.Size);
        var message = deleted.Count == 0
            ? $"No files deleted ({context})"
            : $"Deleted {deleted.Count} file{(deleted.Count == 1 ? "" : "s")}, {bytes} bytes freed: {string.Join("; ", reasons)}";
        if (!satisfied) message += "; not enough space could be freed (only files being written are left)";
        return new CleanupResult(deleted.Count, bytes, [.. deleted.Select(f => f.Name)], satisfied, message);
    }

    private async Task LoopAsync()
    {
        var lastPass = _time.GetUtcNow();
        var first = true;
        while (!_stop.IsCancellationRequested)
        {
            var interval = TimeSpan.FromSeconds(Math.Max(1, _config.Current.Storage.CleanupInterval));
            if (first && interval > FirstPassLimit) interval = FirstPassLimit;
            var wait = lastPass + interval - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    // Woken early when cleanup_interval changes: the loop then recomputes the due time.
                    await _wake.WaitAsync(wait, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            first = false;
            lastPass = _time.GetUtcNow();
            try
            {
                var result = await RunAsync(_stop.Token).ConfigureAwait(false);
                if (result.FilesDeleted > 0 || !result.Satisfied) _log.LogInformation("Retention: {Message}", result.Message);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Retention pass failed; retrying at the next interval");
            }
        }
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Stops the periodic sweep (a pass in progress finishes its current file first).</summary>
    public void Dispose()
    {
        _config.Changed -= OnConfigChanged;
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
