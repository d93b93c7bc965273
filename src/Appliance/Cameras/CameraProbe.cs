using Appliance.Cameras.V4L2;
using Appliance.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Cameras;

/// <summary>Reads what a /dev/videoN node is. Null when the node is not a camera (a UVC metadata
/// node, an output or codec node) or vanished while being read.</summary>
public interface ICameraProbe
{
    Camera? Probe(string device, CameraSection config, string? byId);
}

/// <summary>The real probe: QUERYCAP, then ENUM_FMT / ENUM_FRAMESIZES / ENUM_FRAMEINTERVALS, each until
/// the kernel's end of list (a driver that never ends one is cut at a safety cap and logged). V4L2 ends
/// here: what it reports is mapped to the source-neutral <see cref="VideoFormat"/> and <see cref="VideoMode"/>.</summary>
public sealed class V4l2CameraProbe(ILogger? log = null) : ICameraProbe
{
    public Camera? Probe(string device, CameraSection config, string? byId)
    {
        var now = DateTimeOffset.UtcNow;
        var cameraId = CameraId.ForNode(device);
        try
        {
            using var node = V4l2Device.Open(device);
            var id = node.QueryCapabilities();
            if (!id.IsVideoCapture) return null;

            var bufferType = (id.NodeCaps & V4l2.CapVideoCapture) != 0 ? V4l2.BufTypeVideoCapture : V4l2.BufTypeVideoCaptureMplane;
            var formats = new List<VideoFormat>();
            var modes = new List<VideoMode>();
            if (config.EnableCapabilityDetection)
            {
                foreach (var (format, code) in node.EnumerateFormats(bufferType))
                {
                    formats.Add(new VideoFormat(format.FourCc, format.Description, format.Compressed));
                    foreach (var size in node.EnumerateFrameSizes(code))
                        modes.Add(new VideoMode(format.FourCc, size, node.EnumerateFrameRates(code, size)));
                }
            }
            foreach (var cut in node.Truncated) log?.LogWarning("Camera capabilities cut short: {What}", cut);
            var (input, resolution, fps) = CameraModes.Choose(modes, config);
            var identity = byId ?? $"{id.Driver}:{id.BusInfo}:{id.Card}";
            return new Camera(cameraId, id.Card, CameraStatus.Connected, identity,
                resolution, fps, input, formats, modes, config.EnableCapabilityDetection ? "confirmed" : "none", null, now,
                id.Driver, id.BusInfo, byId);
        }
        catch (V4l2Exception ex) when (ex.IsGone)
        {
            return null;
        }
        catch (V4l2Exception ex)
        {
            // Busy or not permitted: the camera is there but unusable; say why.
            var why = ex.IsPermission ? $"permission denied on {device} (the service user needs the 'video' group)"
                : ex.IsBusy ? $"{device} is busy (used by another process)"
                : ex.Message;
            return new Camera(cameraId, Path.GetFileName(device), CameraStatus.Error,
                byId ?? device, new FrameSize(0, 0), 0, null, [], [], "error", why, now, ById: byId);
        }
    }
}
