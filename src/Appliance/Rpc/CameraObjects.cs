using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.MediaMtx.Streams;

namespace Appliance.Rpc;

/// <summary>The contract's camera object. <c>streams</c> is {} unless CONNECTED; <c>device_path</c>
/// is the copy of <c>device</c> the original SDK models read.</summary>
public sealed record CameraObject(string Device, string Status, string Name, string Resolution, int Fps, StreamsObject Streams, string DevicePath,
    bool? Recording = null, string? RecordingSession = null);

/// <summary>rtsp, webrtc, hls: the v1 fields, unchanged (v1 webrtc is not a player page: see StreamUrls);
/// whep, hls_playlist, webrtc_player: what MediaMTX really serves for playing in a browser.</summary>
public sealed record StreamsObject(string? Rtsp = null, string? Webrtc = null, string? Hls = null,
    string? Whep = null, string? HlsPlaylist = null, string? WebrtcPlayer = null);

/// <summary>A camera as the API shows it, in replies (get_camera_list) and notifications (camera_status_update) alike.</summary>
public static class CameraObjects
{
    public static CameraObject From(Camera c, string clientHost, ApplianceConfig config)
    {
        var streams = new StreamsObject();
        if (c.IsConnected)
        {
            var urls = StreamUrls.For(c.StreamPath, clientHost, config);
            streams = new StreamsObject(urls.Rtsp, urls.Webrtc, urls.Hls, urls.Whep, urls.HlsPlaylist, urls.WebrtcPlayer);
        }
        return new CameraObject(c.Device, Camera.StatusName(c.Status), c.Name, c.Resolution.Width > 0 ? c.Resolution.ToString() : "", c.Fps, streams, c.Device);
    }
}
