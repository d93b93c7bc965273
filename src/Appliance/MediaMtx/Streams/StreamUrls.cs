using Appliance.Configuration;

namespace Appliance.MediaMtx.Streams;

/// <summary>
/// The URLs a client uses to watch a camera's MediaMTX path. The v1 three keep their contract
/// shape exactly; the others are the addresses MediaMTX really serves (checked against its
/// internal/servers/webrtc and internal/servers/hls http_server.go):
/// <list type="bullet">
/// <item><see cref="Hls"/> (v1) <c>http://HOST:8888/PATH</c> — MediaMTX redirects it to <c>PATH/</c>, its hls.js player page.</item>
/// <item><see cref="Webrtc"/> (v1) <c>http://HOST:8889/PATH/webrtc</c> — NOT a player: MediaMTX redirects it to
///   <c>PATH/webrtc/</c>, the page for a path named "PATH/webrtc", which does not exist. Kept for v1 clients.</item>
/// <item><see cref="Whep"/> <c>http://HOST:8889/PATH/whep</c> — the WHEP endpoint (POST an SDP offer, application/sdp).</item>
/// <item><see cref="HlsPlaylist"/> <c>http://HOST:8888/PATH/index.m3u8</c> — the multivariant playlist (native HLS, hls.js).</item>
/// <item><see cref="WebrtcPlayer"/> <c>http://HOST:8889/PATH/</c> — MediaMTX's WebRTC player page (it posts to <c>whep</c> next to it, query kept).</item>
/// </list>
/// </summary>
public sealed record StreamUrls(string Rtsp, string Webrtc, string Hls, string Whep, string HlsPlaylist, string WebrtcPlayer)
{
    /// <summary>
    /// HOST is server.public_host when set, else the host the client used to reach us, so a
    /// technician's laptop gets an address it can reach (never "localhost" for a remote client).
    /// Only the scheme of HLS and WebRTC follows mediamtx.media_tls, because MediaMTX serves one scheme per port.
    /// </summary>
    public static StreamUrls For(string streamPath, string clientHost, ApplianceConfig config)
    {
        var host = config.Server.PublicHost.Length > 0 ? config.Server.PublicHost : clientHost;
        if (string.IsNullOrEmpty(host)) host = config.Server.Host is "0.0.0.0" or "::" or "*" ? "localhost" : config.Server.Host;
        if (host.Contains(':') && !host.StartsWith('[')) host = $"[{host}]";   // IPv6 literal
        var m = config.Mediamtx;
        var web = m.MediaTls ? "https" : "http";
        var webrtc = $"{web}://{host}:{m.WebrtcPort}/{streamPath}";
        var hls = $"{web}://{host}:{m.HlsPort}/{streamPath}";
        return new StreamUrls($"rtsp://{host}:{m.RtspPort}/{streamPath}", webrtc + "/webrtc", hls,
            webrtc + "/whep", hls + "/index.m3u8", webrtc + "/");
    }
}
