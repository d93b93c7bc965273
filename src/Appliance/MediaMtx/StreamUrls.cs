using Appliance.Configuration;

namespace Appliance.MediaMtx;

/// <summary>The URLs a client uses to watch a camera's MediaMTX path.</summary>
public sealed record StreamUrls(string Rtsp, string Webrtc, string Hls)
{
    /// <summary>
    /// HOST is server.public_host when set, else the host the client used to reach us, so a
    /// technician's laptop gets an address it can reach (never "localhost" for a remote client).
    /// </summary>
    public static StreamUrls For(string streamPath, string clientHost, ApplianceConfig config)
    {
        var host = config.Server.PublicHost.Length > 0 ? config.Server.PublicHost : clientHost;
        if (string.IsNullOrEmpty(host)) host = config.Server.Host is "0.0.0.0" or "::" or "*" ? "localhost" : config.Server.Host;
        if (host.Contains(':') && !host.StartsWith('[')) host = $"[{host}]";   // IPv6 literal
        var m = config.Mediamtx;
        return new StreamUrls($"rtsp://{host}:{m.RtspPort}/{streamPath}", $"http://{host}:{m.WebrtcPort}/{streamPath}/webrtc",
            $"http://{host}:{m.HlsPort}/{streamPath}");
    }
}
