namespace Appliance.Media.Recordings;

/// <summary>
/// What the recorder has done since the service started, for get_metrics: recordings started and
/// resumed, ends by reason, torn tails cut, and the fsync policy's work (finished recordings plus
/// the running ones, so the figure only grows).
/// </summary>
public sealed class RecorderCounters
{
    private static readonly int ReasonCount = Enum.GetValues<RecordingEndReason>().Length;
    private readonly long[] _ends = new long[ReasonCount];
    private long _started;
    private long _resumed;
    private long _tornTails;
    private long _finishedFsyncs;
    private long _finishedBytesSynced;

    public long Started => Interlocked.Read(ref _started);
    public long Resumed => Interlocked.Read(ref _resumed);
    public long TornTailsCut => Interlocked.Read(ref _tornTails);

    /// <summary>Ends so far, by reason (every reason listed, zeros included).</summary>
    public IReadOnlyList<(RecordingEndReason Reason, long Count)> Ends =>
        [.. Enum.GetValues<RecordingEndReason>().Select(r => (r, Interlocked.Read(ref _ends[(int)r])))];

    internal void CountStart() => Interlocked.Increment(ref _started);
    internal void CountResume() => Interlocked.Increment(ref _resumed);
    /// <summary>Torn tails cut: after a failed recording, or by the start-up recovery pass (what a crash or power cut left).</summary>
    public void CountTornTails(int n = 1) => Interlocked.Add(ref _tornTails, n);
    internal void CountEnd(RecordingEndReason reason) => Interlocked.Increment(ref _ends[(int)reason]);

    internal void AddFinished(SegmentSync sync)
    {
        Interlocked.Add(ref _finishedFsyncs, sync.Fsyncs);
        Interlocked.Add(ref _finishedBytesSynced, sync.BytesSynced);
    }

    /// <summary>fsyncs and bytes made durable, over finished recordings and <paramref name="running"/>.</summary>
    public (long Fsyncs, long BytesSynced) Durability(IEnumerable<RecordingSession> running)
    {
        long fsyncs = Interlocked.Read(ref _finishedFsyncs), bytes = Interlocked.Read(ref _finishedBytesSynced);
        foreach (var s in running) { fsyncs += s.Sync.Fsyncs; bytes += s.Sync.BytesSynced; }
        return (fsyncs, bytes);
    }
}
