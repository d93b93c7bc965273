using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

/// <summary>The contract's camera object. <c>streams</c> is {} unless CONNECTED; <c>device_path</c>
/// is the copy of <c>device</c> the original SDK models read.</summary>
public sealed record CameraObject(string Device, string Status, string Name, string Resolution, int Fps, StreamsObject Streams, string DevicePath,
    bool? Recording = null, string? RecordingSession = null);

/// <summary>rtsp, webrtc, hls: the v1 fields, unchanged (v1 webrtc is not a player page: see StreamUrls);
/// whep, hls_playlist, webrtc_player: what MediaMTX really serves for playing in a browser.</summary>
public sealed record StreamsObject(string? Rtsp = null, string? Webrtc = null, string? Hls = null,
    string? Whep = null, string? HlsPlaylist = null, string? WebrtcPlayer = null);

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
            var list = cameras.All.Select(c => ToObject(c, call.Connection.RequestHost, config.Current) with
            {
                Recording = recorder.Active(c.Device) is not null,
                RecordingSession = recorder.Active(c.Device)?.SessionId,
            }).ToList();
            return Result(new CameraListResult(list, list.Count, list.Count(c => c.Status == "CONNECTED")), RpcJsonContext.Default.CameraListResult);
        });
        table.Add("get_camera_status", Role.Viewer, async call =>
        {
            var c = Find(call);
            var o = ToObject(c, call.Connection.RequestHost, config.Current);
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
            return Result(new CameraCapabilitiesResult(c.Device, FormatNames(c), [.. c.ResolutionNames], [.. c.FpsOptions],
                c.Status == CameraStatus.Disconnected ? "disconnected" : c.ValidationStatus), RpcJsonContext.Default.CameraCapabilitiesResult);
        });
    }

    /// <summary>The camera named by the call's <c>device</c> ("/dev/video0", "camera0" or "virtual0"), or -32004.</summary>
    public Camera Find(RpcCall call)
    {
        var device = call.RequiredString("device", 256);
        return cameras.Find(device) ?? throw new RpcException(RpcErrorCode.CameraNotFound, $"Camera not found: {device}", "device");
    }

    public static CameraObject ToObject(Camera c, string clientHost, ApplianceConfig config)
    {
        var streams = new StreamsObject();
        if (c.IsConnected)
        {
            var urls = StreamUrls.For(c.StreamPath, clientHost, config);
            streams = new StreamsObject(urls.Rtsp, urls.Webrtc, urls.Hls, urls.Whep, urls.HlsPlaylist, urls.WebrtcPlayer);
        }
        return new CameraObject(c.Device, Camera.StatusName(c.Status), c.Name, c.Resolution.Width > 0 ? c.Resolution.ToString() : "", c.Fps, streams, c.Device);
    }

    // Wire compatibility: a virtual camera has no capture format, but the API has always listed
    // FFmpeg's "lavfi" (its input) as its one format, and clients show it.
    private static List<string> FormatNames(Camera c) => c.Source == CameraSource.Virtual
        ? ["lavfi"]
        : [.. c.Formats.Select(f => f.FourCc == "MJPG" ? "MJPEG" : f.FourCc).Distinct()];

    private static ValueTask<RpcResult> Result<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        ValueTask.FromResult(RpcResult.From(value, info));
}
