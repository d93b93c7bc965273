using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Microsoft.Extensions.Logging;

namespace Appliance.Gpio;

/// <summary>What a press is going to do, decided the moment it is pressed (and announced as button_pressed).</summary>
/// <param name="Action">"snapshot", "start_recording", "stop_recording", or "none" (no connected camera).</param>
public sealed record ButtonPlan(string Button, PressKind Press, string Action, IReadOnlyList<Camera> Cameras)
{
    public List<string> Devices => [.. Cameras.Select(c => c.Device)];
    public string PressName => Press == PressKind.Long ? "long" : "short";
}

/// <summary>How the action went on one camera.</summary>
public sealed record DeviceOutcome(string Device, bool Success, string? Filename, string? Error);

/// <summary>What pressing a button does; the real one drives SnapshotTaker and Recorder, tests substitute it.</summary>
public interface IButtonActions
{
    ButtonPlan Plan(string button, PressKind press);
    Task<IReadOnlyList<DeviceOutcome>> ExecuteAsync(ButtonPlan plan, CancellationToken ct);
}

/// <summary>
/// The snapshot button: a short press snapshots every target camera (Source "button"); a long
/// press stops the targets' recordings if any is recording, else starts recording on all of them.
/// Targets are gpio.snapshot_cameras (ids or stream paths) or, when empty, every connected camera.
/// The cameras work in parallel; one failing camera does not stop the others.
/// </summary>
public sealed class ButtonActions(ConfigStore config, CameraRegistry cameras, SnapshotTaker snapshots, Recorder recorder, ILogger<ButtonActions> log)
    : IButtonActions
{
    public const string SnapshotButton = "snapshot";

    public ButtonPlan Plan(string button, PressKind press)
    {
        var targets = Targets();
        if (targets.Count == 0) return new ButtonPlan(button, press, "none", []);
        if (press == PressKind.Short) return new ButtonPlan(button, press, "snapshot", targets);
        var recording = targets.Where(c => recorder.Active(c.Device) is not null).ToList();
        return recording.Count > 0
            ? new ButtonPlan(button, press, "stop_recording", recording)
            : new ButtonPlan(button, press, "start_recording", targets);
    }

    public async Task<IReadOnlyList<DeviceOutcome>> ExecuteAsync(ButtonPlan plan, CancellationToken ct) =>
        await Task.WhenAll(plan.Cameras.Select(c => plan.Action switch
        {
            "snapshot" => SnapshotAsync(c, ct),
            "start_recording" => StartAsync(c, ct),
            _ => StopAsync(c, ct),
        }));

    private List<Camera> Targets()
    {
        var wanted = config.Current.Gpio.SnapshotCameras;
        if (wanted.Count == 0) return [.. cameras.All.Where(c => c.IsConnected)];
        var found = new List<Camera>();
        foreach (var id in wanted)
        {
            var camera = cameras.Find(id);
            if (camera is { IsConnected: true } && !found.Contains(camera)) found.Add(camera);
            else log.LogDebug("Button: gpio.snapshot_cameras entry {Camera} is not connected", id);
        }
        return found;
    }

    private async Task<DeviceOutcome> SnapshotAsync(Camera camera, CancellationToken ct)
    {
        var o = await snapshots.TakeAsync(camera, new SnapshotRequest(null, null, null, null, null, Source: "button"), ct);
        return new DeviceOutcome(camera.Device, o.Succeeded, o.Succeeded ? o.FileName : null, o.Error);
    }

    private async Task<DeviceOutcome> StartAsync(Camera camera, CancellationToken ct)
    {
        try
        {
            var s = await recorder.StartAsync(camera, null, null, ct);
            return new DeviceOutcome(camera.Device, true, s.FileName, null);
        }
        catch (RecordingRefusedException e)
        {
            return new DeviceOutcome(camera.Device, false, null, e.Message);
        }
    }

    private async Task<DeviceOutcome> StopAsync(Camera camera, CancellationToken ct)
    {
        try
        {
            var s = await recorder.StopAsync(camera.Device, ct);
            return new DeviceOutcome(camera.Device, true, s.FileName, null);
        }
        catch (RecordingRefusedException e)
        {
            return new DeviceOutcome(camera.Device, false, null, e.Message);
        }
    }
}
