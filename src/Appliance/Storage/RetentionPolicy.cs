using System.Text.Json.Serialization;
using Appliance.Configuration;

namespace Appliance.Storage;

/// <summary>
/// What retention removes on its own. "age": files older than <see cref="MaxAgeDays"/>; "size":
/// the oldest files while both collections together exceed <see cref="MaxSizeGb"/> GiB; "manual":
/// nothing (cleanup only when asked, or for free space). Disabled = like manual. Independent of
/// this, the sweeper always keeps <c>storage.min_free_mb</c> free.
/// </summary>
/// <param name="UpdatedAt">When set_retention_policy stored it; null while the config's values apply.</param>
public sealed record RetentionPolicy(string PolicyType, bool Enabled, double MaxAgeDays, double MaxSizeGb, DateTimeOffset? UpdatedAt = null)
{
    public static readonly string[] Types = ["age", "size", "manual"];

    // The same bounds the config validator applies to storage.max_age_days / max_size_gb.
    public const double MaxAgeDaysLimit = 36500;
    public const double MaxSizeGbLimit = 1_000_000;

    /// <summary>GiB: max_size_gb × 2^30 bytes.</summary>
    [JsonIgnore]
    public long MaxSizeBytes => (long)Math.Min(MaxSizeGb * 1024 * 1024 * 1024, long.MaxValue);

    [JsonIgnore]
    public TimeSpan MaxAge => TimeSpan.FromDays(Math.Min(MaxAgeDays, MaxAgeDaysLimit));

    public static RetentionPolicy FromConfig(StorageSection s) => new(s.RetentionPolicy, s.RetentionEnabled, s.MaxAgeDays, s.MaxSizeGb);

    /// <summary>Null when the values are usable, else why not (used for a state file edited by hand).</summary>
    public string? Problem() =>
        !Types.Contains(PolicyType) ? $"policy_type '{PolicyType}' is not one of {string.Join(", ", Types)}"
        : !(MaxAgeDays > 0 && MaxAgeDays <= MaxAgeDaysLimit) ? $"max_age_days {MaxAgeDays} is not in (0, {MaxAgeDaysLimit}]"
        : !(MaxSizeGb > 0 && MaxSizeGb <= MaxSizeGbLimit) ? $"max_size_gb {MaxSizeGb} is not in (0, {MaxSizeGbLimit}]"
        : null;
}
