using Appliance.Configuration;

namespace Appliance.MediaMtx;

/// <summary>The URLs a client uses to watch a camera's MediaMTX path.</summary>
public sealed record StreamUrls(string Rtsp, string Webrtc, string Hls)
{
    /// <summary>
    /// HOST is server.public_host when set, else the host the client used to reach us, so a
    /// technician's laptop gets an address it can reach (never "localhost" for a remote client).
    /// The URLs keep the contract's shape; only the scheme of HLS and WebRTC follows mediamtx.media_tls,
    /// because MediaMTX serves one scheme per port.
    /// </summary>
    public static StreamUrls For(string streamPath, string clientHost, ApplianceConfig config)
    {
        var host = config.Server.PublicHost.Length > 0 ? config.Server.PublicHost : clientHost;
        if (string.IsNullOrEmpty(host)) host = config.Server.Host is "0.0.0.0" or "::" or "*" ? "localhost" : config.Server.Host;
        if (host.Contains(':') && !host.StartsWith('[')) host = $"[{host}]";   // IPv6 literal
        var m = config.Mediamtx;
        var web = m.MediaTls ? "https" : "http";
        return new StreamUrls($"rtsp://{host}:{m.RtspPort}/{streamPath}", $"{web}://{host}:{m.WebrtcPort}/{streamPath}/webrtc",
            $"{web}://{host}:{m.HlsPort}/{streamPath}");
    }
}
