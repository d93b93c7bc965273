using System.Globalization;

namespace Appliance.LoadClient.Scenarios.Floor;

/// <summary>
/// One figure across the rounds: the floor's and the service's value per round, the ratio
/// service / floor per round, and the median of those ratios (rounds alternate which server
/// goes first, so the median is the figure to quote; a single round's ratio carries whatever
/// else the machine did at that moment).
/// </summary>
public sealed class FigureTable(FigureInfo info)
{
    private readonly SortedDictionary<int, (string Order, double Floor, double Service)> _rounds = [];

    public FigureInfo Info => info;

    public void Set(int round, string order, ServerKind kind, double value)
    {
        var row = _rounds.TryGetValue(round, out var r) ? r : (Order: order, Floor: double.NaN, Service: double.NaN);
        _rounds[round] = kind == ServerKind.Floor ? row with { Floor = value } : row with { Service = value };
    }

    /// <summary>Service / floor; NaN when either is missing or the floor measured 0.</summary>
    private static double Ratio(double floor, double service) => double.IsNaN(floor) || double.IsNaN(service) || floor == 0 ? double.NaN : service / floor;

    public double MedianRatio => Median(_rounds.Values.Select(r => Ratio(r.Floor, r.Service)));

    public static string FormatRatio(double ratio) => double.IsNaN(ratio) ? "n/a" : ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";

    public static readonly string[] Columns = ["Round", "First", "Floor", "Service", "Service / floor"];

    public IEnumerable<string[]> Rows()
    {
        foreach (var (round, (order, floor, service)) in _rounds)
            yield return [round.ToString(CultureInfo.InvariantCulture), order, Show(floor), Show(service), RatioText(floor, service)];
        yield return ["median", "", Show(Median(_rounds.Values.Select(r => r.Floor))), Show(Median(_rounds.Values.Select(r => r.Service))),
            $"**{FormatRatio(MedianRatio)}** (median of the ratios)"];
    }

    private string Show(double value) => double.IsNaN(value) ? "n/a" : info.Format(value);

    private static string RatioText(double floor, double service) =>
        floor == 0 && !double.IsNaN(service) ? "n/a (floor 0)" : FormatRatio(Ratio(floor, service));

    /// <summary>Median of the values that were measured (the mean of the middle two for an even count); NaN when none was.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
