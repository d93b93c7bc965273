using System.Text.Json.Serialization;
using Appliance.Media.Encoders;

namespace Appliance.Media.Recordings;

/// <summary>
/// A recording's options as the client sent them, with defaults filled in for what it did not
/// send: codec "copy", format the configured recording.format, quality "medium" when transcoding
/// (none with copy). Echoed back as-is ("fmp4" stays "fmp4") in results, events and file listings.
/// </summary>
public sealed record RequestedOptions(string Codec,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Quality,
    string Format);

/// <summary>
/// What a recording was asked for (<see cref="Requested"/>) and what it uses: the container, and
/// the encoder with its quality when it transcodes (none: the camera's stream is copied).
/// </summary>
public sealed record RecordingOptions(RequestedOptions Requested, ContainerFormat Container, VideoEncoder? Encoder = null, RecordingQuality? Quality = null)
{
    public const string Copy = "copy";

    /// <summary>The stream is decoded and encoded again (CPU, or the hardware encoder), not copied.</summary>
    public bool Transcodes => Encoder is not null;

    /// <summary>A stream copy into the container <paramref name="format"/> names (the GPIO button, the config's default).</summary>
    public static RecordingOptions StreamCopy(string format) =>
        new(new RequestedOptions(Copy, null, format), ContainerFormat.ForFormat(format) ?? throw new ArgumentException($"unknown recording format {format}", nameof(format)));
}

/// <summary>A recording option that is wrong (<see cref="Unsupported"/> false) or that this box
/// cannot do (true: no working encoder for the codec); <see cref="Option"/> names it.</summary>
public sealed class RecordingOptionException(string option, string message, bool unsupported) : Exception(message)
{
    public string Option { get; } = option;
    public bool Unsupported { get; } = unsupported;
}
