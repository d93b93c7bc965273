namespace Appliance.Cameras;

/// <summary>A mode a camera can run in: format, size and the frame rates offered at that size.</summary>
/// <param name="FourCc">The capture format; null for a source that has none to choose (a test pattern, which FFmpeg draws).</param>
public sealed record VideoMode(string? FourCc, FrameSize Size, IReadOnlyList<double> FrameRates);
