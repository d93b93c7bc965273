namespace Appliance.Testing.MediaMtx;

/// <summary>
/// A fault to inject into the stand-in's API answers, switched at run time through
/// <see cref="MediaMtxStandIn.Faults"/>:
/// <code>
/// standIn.Faults.Add(Fault.Slow(TimeSpan.FromSeconds(5)));                 // every request
/// standIn.Faults.Add(Fault.Status(500).ForPath("/v3/config/paths/add").Times(2));
/// standIn.Faults.Clear();
/// </code>
/// </summary>
public sealed record Fault(FaultKind Kind)
{
    /// <summary>For <see cref="FaultKind.Delay"/>: how long to wait before answering.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>For <see cref="FaultKind.Status"/>: the status to answer.</summary>
    public int StatusCode { get; init; } = 500;

    /// <summary>Only requests whose path starts with this (e.g. "/v3/paths/"); null: all.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>Only requests with this method (e.g. "POST"); null: all.</summary>
    public string? Method { get; init; }

    /// <summary>How many more requests it applies to; null: until cleared.</summary>
    public int? Count { get; init; }

    public static Fault Slow(TimeSpan delay) => new(FaultKind.Delay) { Delay = delay };

    public static Fault Status(int statusCode) => new(FaultKind.Status) { StatusCode = statusCode };

    public static Fault Garbage() => new(FaultKind.GarbageBody);

    public static Fault Truncated() => new(FaultKind.TruncatedBody);

    public static Fault Dropped() => new(FaultKind.DropConnection);

    public Fault ForPath(string pathPrefix) => this with { PathPrefix = pathPrefix };

    public Fault ForMethod(string method) => this with { Method = method };

    public Fault Times(int count) =>
        count > 0 ? this with { Count = count } : throw new ArgumentOutOfRangeException(nameof(count), "must be positive");

    internal bool Matches(string method, string path) =>
        (Method is null || Method.Equals(method, StringComparison.OrdinalIgnoreCase))
        && (PathPrefix is null || path.StartsWith(PathPrefix, StringComparison.Ordinal));
}
