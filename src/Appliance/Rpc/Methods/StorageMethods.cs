using System.Globalization;
using System.Text.Json;
using Appliance.Security;
using Appliance.Storage;

namespace Appliance.Rpc.Methods;

/// <param name="UsagePercentage">df's Use% (used / (used + available)), one decimal.</param>
/// <param name="Retention">The retention policy in force (as set_retention_policy answers it), so a client can show it before changing it.</param>
public sealed record StorageInfoResult(long TotalSpace, long UsedSpace, long AvailableSpace, double UsagePercentage,
    long RecordingsSize, long SnapshotsSize, bool LowSpaceWarning, bool CriticalSpaceWarning, int WarnPercent, int BlockPercent,
    RetentionPolicyResult Retention);

public sealed record RetentionPolicyResult(string PolicyType, bool Enabled, double MaxAgeDays, double MaxSizeGb, string? UpdatedAt, string Message);

public sealed record CleanupResponse(bool CleanupExecuted, int FilesDeleted, long SpaceFreed, string Message);

/// <summary>get_storage_info, set_retention_policy, cleanup_old_files (all admin).</summary>
public sealed class StorageMethods(FileCatalog catalog, StorageGuard guard, RetentionSweeper sweeper)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("get_storage_info", Role.Admin, _ =>
        {
            var state = guard.Check();
            var result = new StorageInfoResult(state.Disk.Total, state.Disk.Used, state.Disk.Available, Math.Round(state.UsagePercent, 1),
                catalog.Scan(MediaKind.Recording).Sum(f => f.Size), catalog.Scan(MediaKind.Snapshot).Sum(f => f.Size),
                state.LowSpaceWarning, state.CriticalSpaceWarning, state.WarnPercent, state.BlockPercent, PolicyResult(sweeper.Policies.Current, Explain(sweeper.Policies.Current)));
            return ValueTask.FromResult(RpcResult.From(result, FileJsonContext.Default.StorageInfoResult));
        });
        table.Add("set_retention_policy", Role.Admin, call =>
        {
            var requested = ReadPolicy(call, sweeper.Policies.Current);
            RetentionPolicy stored;
            try
            {
                stored = sweeper.Policies.Save(requested);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new RpcException(RpcErrorCode.InternalError,
                    $"Could not store the retention policy ({ex.Message}); the previous policy stays in force");
            }
            return ValueTask.FromResult(RpcResult.From(PolicyResult(stored, $"Retention policy stored ({Explain(stored)})"), FileJsonContext.Default.RetentionPolicyResult));
        });
        table.Add("cleanup_old_files", Role.Admin, async call =>
        {
            var result = await sweeper.RunAsync(call.Cancellation);
            return RpcResult.From(new CleanupResponse(true, result.FilesDeleted, result.SpaceFreed, result.Message), FileJsonContext.Default.CleanupResponse);
        });
    }

    /// <summary>
    /// policy_type and enabled are required; max_age_days / max_size_gb, when given, must be
    /// numbers above 0 (and at most the config validator's bounds); when left out, the values in
    /// force are kept. Every problem is -32602 naming the field.
    /// </summary>
    internal static RetentionPolicy ReadPolicy(RpcCall call, RetentionPolicy current)
    {
        if (!call.Has("policy_type"))
            throw RpcException.InvalidParams("policy_type", $"'policy_type' is required ({string.Join(", ", RetentionPolicy.Types)})");
        var type = call.OptionalEnum("policy_type", RetentionPolicy.Types)!;
        var enabled = call.OptionalBoolean("enabled") ?? throw RpcException.InvalidParams("enabled", "'enabled' is required (true or false)");
        var maxAge = PositiveNumber(call, "max_age_days", RetentionPolicy.MaxAgeDaysLimit) ?? current.MaxAgeDays;
        var maxSize = PositiveNumber(call, "max_size_gb", RetentionPolicy.MaxSizeGbLimit) ?? current.MaxSizeGb;
        return new RetentionPolicy(type, enabled, maxAge, maxSize);
    }

    private static double? PositiveNumber(RpcCall call, string name, double max)
    {
        if (!call.Has(name)) return null;
        var v = call.Params.GetProperty(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var n) || !double.IsFinite(n))
            throw RpcException.InvalidParams(name, $"'{name}' must be a number");
        if (n <= 0) throw RpcException.InvalidParams(name, $"'{name}' must be greater than 0");
        if (n > max) throw RpcException.InvalidParams(name, string.Create(CultureInfo.InvariantCulture, $"'{name}' must be at most {max}"));
        return n;
    }

    /// <summary>The policy as both methods show it; <paramref name="message"/> says what was done (set) or what is in force (get_storage_info).</summary>
    private static RetentionPolicyResult PolicyResult(RetentionPolicy p, string message) =>
        new(p.PolicyType, p.Enabled, p.MaxAgeDays, p.MaxSizeGb, p.UpdatedAt is { } t ? FileMethods.Iso(t) : null, message);

    /// <summary>"age, files older than 7 days are deleted".</summary>
    private static string Explain(RetentionPolicy p)
    {
        var what = !p.Enabled ? "disabled: files are deleted only by cleanup for free space"
            : p.PolicyType switch
            {
                "age" => string.Create(CultureInfo.InvariantCulture, $"files older than {p.MaxAgeDays:0.###} days are deleted"),
                "size" => string.Create(CultureInfo.InvariantCulture, $"the oldest files are deleted while recordings and snapshots exceed {p.MaxSizeGb:0.###} GiB"),
                _ => "manual: files are deleted only by cleanup for free space",
            };
        return $"{p.PolicyType}, {what}";
    }
}
