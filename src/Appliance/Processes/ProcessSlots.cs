using System.Diagnostics;

namespace Appliance.Processes;

/// <summary>
/// Admission control for one kind of child process (short FFmpeg jobs, ffprobe): at most
/// <c>limit()</c> at once, waiters served first come first served. Each kind has its own slots,
/// so one kind never waits behind another (a reboot or a rauc call takes none at all). The limit
/// is a function read at every admission, not a SemaphoreSlim sized once, so a live change of
/// <c>ffmpeg.max_concurrent</c> applies at once: lowering it lets the running jobs finish and
/// admits nothing new until below the new limit; raising it admits queued jobs within
/// <see cref="RecheckInterval"/> without waiting for a job to end. A slot taken here is handed to
/// <see cref="ProcessRunner.Start"/>, which gives it back when the process exits.
/// </summary>
public sealed class ProcessSlots(Func<int> limit)
{
    internal static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private int _running;

    public int Running { get { lock (_gate) return _running; } }
    public int Queued { get { lock (_gate) return _waiters.Count; } }
    public int Limit => Math.Max(1, limit());

    /// <summary>Takes a slot, waiting up to <paramref name="timeout"/>; false when none came free.</summary>
    public async Task<bool> TryAcquireAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_gate)
        {
            if (_waiters.Count == 0 && _running < Limit)
            {
                _running++;
                return true;
            }
            node = _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            while (true)
            {
                Pump();
                var remaining = timeout == Timeout.InfiniteTimeSpan ? RecheckInterval : timeout - Stopwatch.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero) break;
                try
                {
                    await node.Value.Task.WaitAsync(remaining < RecheckInterval ? remaining : RecheckInterval, cancellation).ConfigureAwait(false);
                    return true;
                }
                catch (TimeoutException)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
            if (Withdraw(node)) throw;
            Release(); // granted while being cancelled: hand the slot on
            throw;
        }
        // Timed out, unless the slot was granted at the very last moment.
        return !Withdraw(node);
    }

    public void Release()
    {
        lock (_gate) _running--;
        Pump();
    }

    /// <summary>Grants free slots to the longest waiters.</summary>
    private void Pump()
    {
        List<TaskCompletionSource>? granted = null;
        lock (_gate)
        {
            while (_waiters.First is { } first && _running < Limit)
            {
                _waiters.RemoveFirst();
                _running++;
                (granted ??= []).Add(first.Value);
            }
        }
        // Completed outside the lock: continuations run asynchronously anyway, but keep the lock short.
        if (granted is not null) foreach (var waiter in granted) waiter.SetResult();
    }

    /// <summary>Removes a waiter that gives up; false when it had already been granted a slot.</summary>
    private bool Withdraw(LinkedListNode<TaskCompletionSource> node)
    {
        lock (_gate)
        {
            if (node.List is null) return false;
            _waiters.Remove(node);
            return true;
        }
    }
}
