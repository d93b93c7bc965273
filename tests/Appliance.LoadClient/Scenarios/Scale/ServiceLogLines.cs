using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>The service's log lines the scale scenario reads (it runs at info level): the input and
/// FFmpeg time of each snapshot, and every warning or worse (bounded).</summary>
public sealed partial class ServiceLogLines
{
    private const int MaxProblems = 200;
    private readonly ConcurrentDictionary<string, (string Input, double Ms)> _snapshots = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();

    public void Add(string line)
    {
        var m = SnapshotLine().Match(line);
        if (m.Success)
            _snapshots[m.Groups["file"].Value] = (m.Groups["input"].Value, double.Parse(m.Groups["ms"].Value, CultureInfo.InvariantCulture));
        else if (IsProblem(line) && _problems.Count < MaxProblems)
            _problems.Enqueue(line);
    }

    public (string Input, double Ms)? Snapshot(string file) => _snapshots.TryGetValue(file, out var s) ? s : null;

    /// <summary>Warnings and worse, distinct, at most 10, also from the lines kept before we listened.</summary>
    public IEnumerable<string> Problems(IEnumerable<string> early) =>
        early.Where(IsProblem).Concat(_problems).Select(l => TimeStamp().Replace(l, "")).Distinct().Take(10);

    public int ProblemCount => _problems.Count;

    private static bool IsProblem(string line) =>
        line.Contains(" warn: ", StringComparison.Ordinal) || line.Contains(" fail: ", StringComparison.Ordinal) || line.Contains(" crit: ", StringComparison.Ordinal);

    // "10:58:01.123 info: Appliance.Media.Snapshots.SnapshotTaker[0] Snapshot F of virtual0 from the stream: 123 bytes in 150 ms"
    [GeneratedRegex(@"Snapshot (?<file>\S+) of \S+ from the (?<input>\w+): \d+ bytes in (?<ms>\d+(\.\d+)?) ms")]
    private static partial Regex SnapshotLine();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3} ")]
    private static partial Regex TimeStamp();
}
