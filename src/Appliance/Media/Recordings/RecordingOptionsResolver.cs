using Appliance.Media.Encoders;

namespace Appliance.Media.Recordings;

/// <summary>
/// Turns what a client asked for (codec, quality, format) into <see cref="RecordingOptions"/>: the
/// defaults, the rules between the options, and the encoder this box really has for the codec
/// (<see cref="EncoderProbe"/>; hardware preferred, software when a CRF is asked for).
/// </summary>
public sealed class RecordingOptionsResolver(EncoderProbe probe, Func<string> defaultFormat)
{
    /// <summary>How long a transcoding request waits for a probe still running (only just after start).</summary>
    public static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(10);

    public static readonly IReadOnlyList<string> Codecs = [RecordingOptions.Copy, .. VideoEncoder.Codecs];

    /// <param name="codec">copy, h264, h265 or null (copy); checked by the caller to be one of <see cref="Codecs"/>.</param>
    /// <param name="format">mp4, fmp4, mkv, ts or null (recording.format).</param>
    /// <exception cref="RecordingOptionException">A wrong option (quality with copy, a bad quality), or one this box cannot do.</exception>
    public async Task<RecordingOptions> ResolveAsync(string? codec, string? quality, string? format, CancellationToken ct)
    {
        codec ??= RecordingOptions.Copy;
        format ??= defaultFormat();
        var container = ContainerFormat.ForFormat(format) ?? throw new RecordingOptionException("format", $"'format' must be one of {string.Join(", ", ContainerFormat.FormatNames)}", false);
        if (codec == RecordingOptions.Copy)
        {
            if (quality is not null)
                throw new RecordingOptionException("quality", "'quality' applies only when transcoding (codec h264 or h265); codec 'copy' stores the camera's stream as it is", false);
            // A copy needs no encoder: it does not wait for the probe. Nor does the probe's container list
            // refuse it: a probe run that timed out on a busy box must not stop recordings that always worked
            // (a muxer really missing makes FFmpeg fail at start, and that error is reported).
            return new RecordingOptions(new RequestedOptions(codec, null, format), container);
        }
        if (!VideoEncoder.Codecs.Contains(codec))
            throw new RecordingOptionException("codec", $"'codec' must be one of {string.Join(", ", Codecs)}", false);
        quality ??= RecordingQuality.DefaultText;
        if (!RecordingQuality.TryParse(quality, out var parsed, out var problem)) throw new RecordingOptionException("quality", problem!, false);

        var found = await probe.WaitAsync(ProbeWait, ct).ConfigureAwait(false);
        var crf = parsed!.Kind == QualityKind.Crf;
        var encoder = found.EncoderFor(codec, softwareOnly: crf);
        if (encoder is null)
        {
            if (crf && found.EncoderFor(codec) is { } hardware)
                throw new RecordingOptionException("quality",
                    $"'quality' {quality}: a CRF needs a software {codec} encoder, and only {hardware.Encoder} (hardware, bitrate only) works here; " +
                    "give low, medium, high or a bitrate", true);
            var tried = string.Join(", ", VideoEncoder.Candidates.Where(c => c.Codec == codec).Select(c => c.Encoder));
            var why = found.Complete ? $"no working encoder (tried {tried})" : "the encoder probe has not finished yet; try again in a few seconds";
            throw new RecordingOptionException("codec", $"this box cannot encode {codec}: {why}. It can record with codec {string.Join(", ", Available(found))}", true);
        }
        return new RecordingOptions(new RequestedOptions(codec, quality, format), container, encoder, parsed);
    }

    /// <summary>copy, then every codec with a working encoder.</summary>
    public static IEnumerable<string> Available(MediaCapabilities found) =>
        [RecordingOptions.Copy, .. VideoEncoder.Codecs.Where(c => found.EncoderFor(c) is not null)];
}
