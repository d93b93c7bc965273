using System.Globalization;
using Appliance.Configuration;

namespace Appliance.MediaMtx.Streams;

/// <summary>
/// The one place that builds the RTSP URL the service's own processes use on this device
/// (publishers, recorder, snapshots): loopback, MediaMTX's RTSP port, and a credential, because
/// MediaMTX asks the auth hook about every reader and publisher. The URLs handed to clients are
/// <see cref="StreamUrls"/> (no credential: each client brings its own).
/// </summary>
public static class InternalRtspUrl
{
    public static string For(ApplianceConfig config, string streamPath, MediaCredential credential) =>
        $"rtsp://{Uri.EscapeDataString(credential.User)}:{Uri.EscapeDataString(credential.Password)}@127.0.0.1:"
        + $"{config.Mediamtx.RtspPort.ToString(CultureInfo.InvariantCulture)}/{streamPath}";
}
