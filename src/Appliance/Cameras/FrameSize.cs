namespace Appliance.Cameras;

/// <summary>A picture size in pixels; written "1920x1080" on the wire.</summary>
public readonly record struct FrameSize(int Width, int Height)
{
    public override string ToString() => $"{Width}x{Height}";
}
