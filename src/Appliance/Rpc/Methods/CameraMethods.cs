using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.MediaMtx;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

public sealed record CameraListResult(List<CameraObject> Cameras, int Total, int Connected);

public sealed record CameraMetrics(long BytesSent, int Readers, double Uptime);

public sealed record CameraCapabilitiesSummary(List<string> Formats, List<string> Resolutions);

public sealed record CameraStatusResult(string Device, string Status, string Name, string Resolution, int Fps, StreamsObject Streams,
    string DevicePath, CameraMetrics Metrics, CameraCapabilitiesSummary Capabilities, string? Error, bool Recording, string? RecordingSession);

public sealed record CameraCapabilitiesResult(string Device, List<string> Formats, List<string> Resolutions, List<int> FpsOptions, string ValidationStatus);

/// <summary>get_camera_list, get_camera_status, get_camera_capabilities.</summary>
public sealed class CameraMethods(CameraRegistry cameras, ConfigStore config, MediaMtxClient mediaMtx, Media.Recordings.Recorder recorder)
{
    public void Register(RpcMethodTable table)
    {
        table.Add("get_camera_list", Role.Viewer, call =>
        {
            var list = cameras.All.Select(c => CameraObjects.From(c, call.Connection.RequestHost, config.Current) with
            {
                Recording = recorder.Active(c.Device) is not null,
                RecordingSession = recorder.Active(c.Device)?.SessionId,
            }).ToList();
            return RpcResult.Completed(new CameraListResult(list, list.Count, list.Count(c => c.Status == "CONNECTED")), RpcJsonContext.Default.CameraListResult);
        });
        table.Add("get_camera_status", Role.Viewer, async call =>
        {
            var c = Find(call);
            var o = CameraObjects.From(c, call.Connection.RequestHost, config.Current);
            var uptime = c.IsConnected ? Math.Round((DateTimeOffset.UtcNow - c.Since).TotalSeconds, 3) : 0;
            // Stream statistics from MediaMTX; a media server that is down does not make the camera unknowable.
            PathStatus? stats = null;
            if (c.IsConnected && mediaMtx.Circuit != Polly.CircuitBreaker.CircuitState.Open)
            {
                try { stats = await mediaMtx.GetPathAsync(c.StreamPath, call.Cancellation); }
                catch (MediaMtxException) { }
            }
            return RpcResult.From(new CameraStatusResult(o.Device, o.Status, o.Name, o.Resolution, o.Fps, o.Streams, o.DevicePath,
                new CameraMetrics((long)(stats?.BytesOut ?? 0), stats?.ReaderCount ?? 0, uptime),
                new CameraCapabilitiesSummary(FormatNames(c), [.. c.ResolutionNames]), c.Error,
                recorder.Active(c.Device) is not null, recorder.Active(c.Device)?.SessionId),
                RpcJsonContext.Default.CameraStatusResult);
        });
        table.Add("get_camera_capabilities", Role.Viewer, call =>
        {
            var c = Find(call);
            return RpcResult.Completed(new CameraCapabilitiesResult(c.Device, FormatNames(c), [.. c.ResolutionNames], [.. c.FpsOptions],
                c.Status == CameraStatus.Disconnected ? "disconnected" : c.ValidationStatus), RpcJsonContext.Default.CameraCapabilitiesResult);
        });
    }

    /// <summary>The camera named by the call's <c>device</c> ("/dev/video0", "camera0" or "virtual0"), or -32004.</summary>
    public Camera Find(RpcCall call)
    {
        var device = call.RequiredString("device", 256);
        return cameras.Find(device) ?? throw new RpcException(RpcErrorCode.CameraNotFound, $"Camera not found: {device}", "device");
    }

    // Wire compatibility: a virtual camera has no capture format, but the API has always listed
    // FFmpeg's "lavfi" (its input) as its one format, and clients show it.
    private static List<string> FormatNames(Camera c) => c.Source == CameraSource.Virtual
        ? ["lavfi"]
        : [.. c.Formats.Select(f => f.FourCc == "MJPG" ? "MJPEG" : f.FourCc).Distinct()];
}
