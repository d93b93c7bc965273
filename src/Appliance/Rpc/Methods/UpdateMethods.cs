using System.Text.Json.Serialization;
using Appliance.Configuration;
using Appliance.Media;
using Appliance.Security;
using Appliance.Update;

namespace Appliance.Rpc.Methods;

public sealed record UpdateSlotInfo(string Name, string? Bootname, string? State, string? BootStatus, string? Version, string? InstalledAt);

public sealed record UpdateInstallInfo(string State, string? Bundle, int? Percent, string? Message, string? StartedAt, string? FinishedAt, string? Error);

public sealed record UpdateStatusResult(bool Enabled, string Compatible, string? BootedSlot, string? BootPrimary, List<UpdateSlotInfo> Slots,
    string RunningVersion, string GitRevision, string Board, bool PendingConfirmation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ConfirmedAt,
    double HealthyFor, double HealthyAfter, UpdateInstallInfo Install,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record InstallUpdateResult(bool Started, string Bundle);

public sealed record RebootResult(bool Rebooting, string At, string Command);

/// <summary>Source-generated JSON for the OTA results. Nulls are written (a slot RAUC never installed has
/// "version": null) except the two optional members marked above.</summary>
[JsonSerializable(typeof(UpdateStatusResult))]
[JsonSerializable(typeof(InstallUpdateResult))]
[JsonSerializable(typeof(RebootResult))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
public sealed partial class UpdateJsonContext : JsonSerializerContext;

/// <summary>
/// get_update_status and install_update (admin): the OTA side of the appliance (Update/).
/// get_update_status asks RAUC afresh on every call (slots change under us: an install, a fallback);
/// when RAUC cannot be asked the rest is still answered, with RAUC's problem in <c>error</c>.
/// install_update only validates and starts: progress arrives as update_progress notifications.
/// reboot {delay?} boots the new slot after an install (or helps remotely): answered, then run.
/// </summary>
public sealed class UpdateMethods(ConfigStore config, RaucClient rauc, MarkGoodGate gate, UpdateInstaller installer, DeviceReboot reboot)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("get_update_status", Role.Admin, GetStatusAsync);
        table.Add("install_update", Role.Admin, Install);
        table.Add("reboot", Role.Admin, Reboot);
    }

    private ValueTask<RpcResult> Reboot(RpcCall call)
    {
        var delay = TimeSpan.FromSeconds(call.OptionalNumber("delay", 1, 300) ?? 3);
        if (installer.Current.State == InstallState.Installing)
            throw new RpcException(RpcErrorCode.UpdateInProgress, $"Update in progress: {installer.Current.Bundle} is being installed; reboot when it has finished");
        var who = (call.CallCredential ?? call.Connection.Auth)?.UserId ?? "unknown";
        try
        {
            var (at, command) = reboot.Request(delay, $"{who} from {call.Connection.Remote}");
            return ValueTask.FromResult(RpcResult.From(new RebootResult(true, MediaFileNames.Iso(at), command), UpdateJsonContext.Default.RebootResult));
        }
        catch (FileNotFoundException e)
        {
            throw new RpcException(RpcErrorCode.NotSupported, "Capability not supported: " + e.Message);
        }
    }

    private async ValueTask<RpcResult> GetStatusAsync(RpcCall call)
    {
        var c = config.Current;
        RaucStatus? status = null;
        string? error = null;
        if (c.Update.Enabled)
        {
            try { status = await rauc.GetStatusAsync(call.Cancellation); }
            catch (RaucException e) { error = e.Message; }
        }
        var g = gate.Snapshot();
        var i = installer.Current;
        var result = new UpdateStatusResult(c.Update.Enabled, status?.Compatible ?? c.Update.Compatible, status?.BootedSlot?.Name, status?.BootPrimary,
            [.. (status?.Slots ?? []).Select(s => new UpdateSlotInfo(s.Name, s.Bootname, s.State, s.BootStatus, s.Version, s.InstalledAt))],
            AppInfo.Version, AppInfo.GitRevision, c.Gpio.Board, g.PendingConfirmation, g.ConfirmedAt,
            Math.Round(g.HealthyFor.TotalSeconds, 3), g.HealthyAfter.TotalSeconds,
            new UpdateInstallInfo(InstallStates.Name(i.State), i.Bundle, i.Percent, i.Message, Iso(i.StartedAt), Iso(i.FinishedAt), i.Error),
            error ?? g.Error);
        return RpcResult.From(result, UpdateJsonContext.Default.UpdateStatusResult);
    }

    private ValueTask<RpcResult> Install(RpcCall call)
    {
        // Disabled first: on a box without OTA no bundle is right.
        if (!config.Current.Update.Enabled)
            throw new RpcException(RpcErrorCode.NotSupported, "Capability not supported: OTA updates are disabled (update.enabled = false)");
        var bundle = call.RequiredString("bundle");
        if (BundleLocation.Problem(bundle) is { } problem) throw RpcException.InvalidParams("bundle", problem);
        if (!installer.TryStart(bundle))
            throw new RpcException(RpcErrorCode.UpdateInProgress, $"Update already in progress: {installer.Current.Bundle} is being installed");
        return ValueTask.FromResult(RpcResult.From(new InstallUpdateResult(true, bundle), UpdateJsonContext.Default.InstallUpdateResult));
    }

    private static string? Iso(DateTimeOffset? t) => t is { } v ? MediaFileNames.Iso(v) : null;
}
