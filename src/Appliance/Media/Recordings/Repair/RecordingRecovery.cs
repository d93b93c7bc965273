using Appliance.Storage;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Recordings.Repair;

/// <summary>
/// The startup pass over a recordings directory: every *.mp4 / *.mkv / *.ts segment that was last written
/// before the service started, and that no running recording is writing, goes through
/// <see cref="TornTailRepair.Repair"/>, so a recording torn by a crash, a kill or a power cut
/// plays cleanly up to its last complete fragment. Files written after the start belong to new
/// recordings and are left alone. Cheap for whole files: only their box/element headers are read.
/// A file that holds no frame at all is removed (<see cref="RemoveIfEmpty"/>).
/// Only the directory itself is scanned (recordings are written there, not in subdirectories),
/// and only regular files (not symlinks, FIFOs...).
/// </summary>
public sealed class RecordingRecovery
{
    private static readonly string[] Extensions = [".mp4", ".mkv", ".ts"];

    private readonly ILogger<RecordingRecovery> _log;
    private readonly Func<string, RepairResult> _repair;

    public RecordingRecovery(ILogger<RecordingRecovery> log) : this(log, TornTailRepair.Repair) { }

    /// <summary>For the tests: a repair that fails the way a bad disk does.</summary>
    internal RecordingRecovery(ILogger<RecordingRecovery> log, Func<string, RepairResult> repair)
    {
        _log = log;
        _repair = repair;
    }

    /// <summary>
    /// Repairs the recordings in <paramref name="directory"/> last written before
    /// <paramref name="writtenBeforeUtc"/> (the service's start) that
    /// <paramref name="isBeingWritten"/> (given the full path) does not claim. Returns one result
    /// per file examined, in name order; a file that vanished mid-pass has none, one that could not
    /// be read is <see cref="RepairOutcome.Unreadable"/>. A directory that is missing or cannot be
    /// listed gives an empty list (the latter with a warning). Never throws for a file's content
    /// or I/O errors; only <see cref="OperationCanceledException"/> when cancelled.
    /// Runs on the thread pool (file I/O is synchronous); cancellation is checked between files.
    /// </summary>
    public Task<IReadOnlyList<RepairResult>> RunAsync(string directory, DateTime writtenBeforeUtc, Func<string, bool> isBeingWritten, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(isBeingWritten);
        var before = writtenBeforeUtc.Kind == DateTimeKind.Local ? writtenBeforeUtc.ToUniversalTime() : writtenBeforeUtc;
        return Task.Run(() => Run(Path.GetFullPath(directory), new DateTimeOffset(DateTime.SpecifyKind(before, DateTimeKind.Utc)), isBeingWritten, ct), ct);
    }

    private IReadOnlyList<RepairResult> Run(string directory, DateTimeOffset writtenBefore, Func<string, bool> isBeingWritten, CancellationToken ct)
    {
        var results = new List<RepairResult>();
        List<string> names;
        try
        {
            names = Directory.EnumerateFiles(directory)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        catch (DirectoryNotFoundException)
        {
            _log.LogDebug("Recording recovery: {Directory} does not exist; nothing to check", directory);
            return results;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("Recording recovery: cannot list {Directory}: {Error}", directory, e.Message);
            return results;
        }

        int skipped = 0, vanished = 0;
        foreach (var path in names)
        {
            ct.ThrowIfCancellationRequested();
            switch (Examine(path, writtenBefore, isBeingWritten, out var result))
            {
                case Fate.Skipped:
                    skipped++;
                    break;
                case Fate.Vanished:
                    vanished++;
                    break;
                default:
                    results.Add(result!);
                    Report(result!);
                    RemoveIfEmpty(result!, _log);
                    break;
            }
        }

        _log.LogInformation(
            "Recording recovery in {Directory}: {Checked} checked, {Trimmed} trimmed ({Bytes} bytes cut), {NoFragments} without a complete fragment, {Unplayable} unplayable, {NotRecognised} not recognised, {Unreadable} unreadable; {Skipped} skipped (new or being written), {Vanished} gone before they were checked",
            directory, results.Count, Count(RepairOutcome.Trimmed), results.Sum(r => r.BytesCut), Count(RepairOutcome.NoFragments),
            Count(RepairOutcome.Unplayable), Count(RepairOutcome.NotRecognised), Count(RepairOutcome.Unreadable), skipped, vanished);
        return results;

        int Count(RepairOutcome outcome) => results.Count(r => r.Outcome == outcome);
    }

    /// <summary>
    /// Removes a recording that holds no frame at all (<see cref="RepairOutcome.NoFragments"/>: killed
    /// within the first fragment of a segment, when only its header was written; or
    /// <see cref="RepairOutcome.Unplayable"/>: not even that). Nothing is lost, and a listed file that
    /// plays nothing would only mislead whoever opens it. True when it was removed.
    /// </summary>
    public static bool RemoveIfEmpty(RepairResult r, ILogger log)
    {
        if (r.Outcome is not (RepairOutcome.NoFragments or RepairOutcome.Unplayable)) return false;
        try
        {
            File.Delete(r.Path);
            log.LogWarning("Recording {File} removed: it holds no frame ({Length} bytes: {Reason})", r.Path, r.NewLength, r.Reason);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("Recording {File} holds no frame but could not be removed: {Error}", r.Path, e.Message);
            return false;
        }
    }

    private enum Fate { Examined, Skipped, Vanished }

    private Fate Examine(string path, DateTimeOffset writtenBefore, Func<string, bool> isBeingWritten, out RepairResult? result)
    {
        result = null;
        long size = -1;
        try
        {
            var stat = FileStat.Of(path);
            size = stat.Size;
            if (stat.Type == FileType.Missing) return Fate.Vanished;
            if (!stat.IsRegular || stat.Modified >= writtenBefore || isBeingWritten(path)) return Fate.Skipped;
            result = _repair(path);
            return Fate.Examined;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            _log.LogDebug("Recording recovery: {File} vanished before it was checked", path);
            return Fate.Vanished;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            result = new RepairResult(path, RecordingContainer.Unknown, RepairOutcome.Unreadable, size, size, e.Message);
            return Fate.Examined;
        }
    }

    private void Report(RepairResult r)
    {
        switch (r.Outcome)
        {
            case RepairOutcome.Trimmed:
                _log.LogWarning("Recording {File} had a torn tail: cut {Bytes} bytes ({Old} -> {New}): {Reason}", r.Path, r.BytesCut, r.OldLength, r.NewLength, r.Reason);
                break;
            case RepairOutcome.NoFragments:
                _log.LogWarning("Recording {File} holds no complete fragment (cut {Bytes} bytes, {New} left): {Reason}", r.Path, r.BytesCut, r.NewLength, r.Reason);
                break;
            case RepairOutcome.Unplayable:
                _log.LogWarning("Recording {File} is unplayable and was left as it is ({Length} bytes): {Reason}", r.Path, r.OldLength, r.Reason);
                break;
            case RepairOutcome.NotRecognised:
                _log.LogInformation("Recording {File} is not an MP4, Matroska or MPEG-TS file; left as it is: {Reason}", r.Path, r.Reason);
                break;
            case RepairOutcome.Unreadable:
                _log.LogWarning("Recording {File} could not be checked: {Reason}", r.Path, r.Reason);
                break;
            default:
                _log.LogDebug("Recording {File} is intact: {Reason}", r.Path, r.Reason);
                break;
        }
    }
}
