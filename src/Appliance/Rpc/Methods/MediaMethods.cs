using Appliance.Cameras;
using Appliance.Media;
using Appliance.Media.Encoders;
using Appliance.Media.Recordings;
using Appliance.Media.Snapshots;
using Appliance.Security;
using Appliance.Storage;

namespace Appliance.Rpc.Methods;

public sealed record SnapshotResult(string Device, string DevicePath, string Filename, string Status, string Timestamp, long FileSize,
    string FilePath, bool Success, string? Error = null);

public sealed record RecordingInfo(string DevicePath, string RecordingId, string Filename, string StartTime, string Status);

/// <param name="Format">The container written (mp4 for "fmp4").</param>
/// <param name="Options">codec, quality and format as the client sent them, defaults filled in.</param>
public sealed record StartRecordingResult(string Device, string DevicePath, string SessionId, string RecordingId, string Filename, string Status,
    string StartTime, double? Duration, string Format, bool Success, RecordingInfo Recording, RequestedOptions Options);

public sealed record StopRecordingResult(string Device, string DevicePath, string SessionId, string RecordingId, string Filename, string Status,
    string StartTime, string EndTime, double Duration, long FileSize, bool Success, List<string> Files);

/// <summary>take_snapshot, start_recording, stop_recording (operator). The result shapes carry the
/// extra fields the original clients read (success, device_path, recording_id, recording{}).
/// start_recording's codec, quality and format are judged by <see cref="RecordingOptionsResolver"/>:
/// a wrong one is -32602 naming it, one this box cannot do (no working encoder) -32008 naming it.</summary>
public sealed class MediaMethods(CameraMethods cameras, SnapshotTaker snapshots, Recorder recorder, Func<double> maxDuration, RecordingOptionsResolver recordingOptions)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("take_snapshot", Role.Operator, TakeSnapshot);
        table.Add("start_recording", Role.Operator, StartRecording);
        table.Add("stop_recording", Role.Operator, StopRecording);
    }

    // What each method takes: the contract's fields and this service's documented extras. The original
    // clients send nothing else (apart from auth_token, which every method accepts).
    private static readonly string[] SnapshotParams = ["device", "filename", "format", "quality", "max_width", "max_height"];
    private static readonly string[] RecordingParams = ["device", "duration", "duration_seconds", "duration_minutes", "duration_hours", "format", "codec", "quality"];

    private async ValueTask<RpcResult> TakeSnapshot(RpcCall call)
    {
        call.RejectUnknown(SnapshotParams);
        var format = call.OptionalEnum("format", "jpg", "png");
        var quality = (int?)call.OptionalInteger("quality", 1, 100);
        var maxWidth = (int?)call.OptionalInteger("max_width", 16, 16384);
        var maxHeight = (int?)call.OptionalInteger("max_height", 16, 16384);
        var filename = call.OptionalString("filename", 200);
        // The same rule as every other file name a client sends (list/info/delete/download).
        if (filename is not null && SafeFileName.Problem(WithSnapshotExtension(filename, format), MediaKind.Snapshot) is { } problem)
            throw RpcException.InvalidParams("filename", problem);
        var camera = ConnectedCamera(call);
        var o = await snapshots.TakeAsync(camera, new SnapshotRequest(filename, format, quality, maxWidth, maxHeight), call.Cancellation);
        return RpcResult.From(new SnapshotResult(camera.Device, camera.Device, o.FileName, o.Succeeded ? "completed" : "FAILED",
            MediaFileNames.Iso(o.Timestamp), o.FileSize, o.FilePath, o.Succeeded, o.Error), RpcJsonContext.Default.SnapshotResult);
    }

    private async ValueTask<RpcResult> StartRecording(RpcCall call)
    {
        // Params first, then the camera: a bad request is -32602 whether or not the camera exists.
        call.RejectUnknown(RecordingParams);
        var format = call.OptionalEnum("format", [.. ContainerFormat.FormatNames]);
        var codec = call.OptionalEnum("codec", [.. RecordingOptionsResolver.Codecs]);
        var quality = call.OptionalString("quality", 64);
        var duration = Duration(call);
        var max = TimeSpan.FromSeconds(maxDuration());
        if (duration > max)
            throw RpcException.InvalidParams(DurationField(call), $"the recording may last at most {max.TotalSeconds:0} s (recording.max_duration)");
        // Before the camera too: whether this box can encode the codec is about the request, not the device.
        RecordingOptions options;
        try { options = await recordingOptions.ResolveAsync(codec, quality, format, call.Cancellation); }
        catch (RecordingOptionException e) when (e.Unsupported) { throw new RpcException(RpcErrorCode.NotSupported, e.Message, e.Option); }
        catch (RecordingOptionException e) { throw RpcException.InvalidParams(e.Option, e.Message); }
        var camera = ConnectedCamera(call);
        try
        {
            var s = await recorder.StartAsync(camera, duration, options, call.Cancellation);
            var start = MediaFileNames.Iso(s.StartTime);
            return RpcResult.From(new StartRecordingResult(camera.Device, camera.Device, s.SessionId, s.SessionId, s.FileName, RecordingStatus.Started, start,
                duration?.TotalSeconds, s.Format, true, new RecordingInfo(camera.Device, s.SessionId, s.FileName, start, RecordingStatus.Started), s.Options.Requested),
                RpcJsonContext.Default.StartRecordingResult);
        }
        catch (RecordingRefusedException e)
        {
            throw RecordingRefusals.ToRpc(e, e.Refusal == RecordingRefusal.NotRecording ? "device" : null);
        }
    }

    private async ValueTask<RpcResult> StopRecording(RpcCall call)
    {
        var camera = cameras.Find(call);   // "device" is its only param
        try
        {
            var s = await recorder.StopAsync(camera.Device, call.Cancellation);
            return RpcResult.From(new StopRecordingResult(camera.Device, camera.Device, s.SessionId, s.SessionId, s.FileName, RecordingStatus.Stopped,
                MediaFileNames.Iso(s.StartTime), MediaFileNames.Iso(s.EndTime ?? DateTimeOffset.UtcNow), Math.Round(s.Elapsed.TotalSeconds, 3),
                s.TotalBytes, true, [.. s.Files]), RpcJsonContext.Default.StopRecordingResult);
        }
        catch (RecordingRefusedException e)
        {
            throw RecordingRefusals.ToRpc(e, "device");
        }
    }

    private Camera ConnectedCamera(RpcCall call)
    {
        var camera = cameras.Find(call);
        return camera.IsConnected ? camera
            : throw new RpcException(RpcErrorCode.CameraNotFound, $"Camera {camera.Device} is {Camera.StatusName(camera.Status)}" +
                (camera.Error is { } e ? $": {e}" : ""), "device");
    }

    private static string DurationField(RpcCall call) =>
        new[] { "duration", "duration_seconds", "duration_minutes", "duration_hours" }.First(call.Has);

    // The name the snapshot will get: the caller's, with the format's extension when it has none.
    private static string WithSnapshotExtension(string name, string? format) =>
        MediaKinds.HasAllowedExtension(MediaKind.Snapshot, name) ? name : name + "." + (format ?? "jpg");

    /// <summary>The contract's duration forms; at most one may be given.</summary>
    private static TimeSpan? Duration(RpcCall call)
    {
        var given = new (string Name, long? Value, long Unit)[]
        {
            ("duration", call.OptionalInteger("duration", 1, 86400), 1),
            ("duration_seconds", call.OptionalInteger("duration_seconds", 1, 3600), 1),
            ("duration_minutes", call.OptionalInteger("duration_minutes", 1, 1440), 60),
            ("duration_hours", call.OptionalInteger("duration_hours", 1, 24), 3600),
        }.Where(d => d.Value is not null).ToList();
        if (given.Count > 1) throw RpcException.InvalidParams(given[1].Name, $"give only one of {string.Join(", ", given.Select(g => g.Name))}");
        return given.Count == 0 ? null : TimeSpan.FromSeconds(given[0].Value!.Value * given[0].Unit);
    }
}
