namespace Appliance.Cameras;

/// <summary>A picture format a camera can deliver, named by its fourcc ("MJPG", "YUYV", "H264").</summary>
public sealed record VideoFormat(string FourCc, string Description, bool Compressed);
