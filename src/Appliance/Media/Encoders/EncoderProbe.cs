using Appliance.Configuration;
using Appliance.Media.Ffmpeg;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Encoders;

/// <summary>
/// Finds out once, at start and in the background, which encoders and containers this box's FFmpeg
/// can really use: each candidate encoder (<see cref="VideoEncoder.Candidates"/>) encodes one 64x64
/// test frame, the frame is written in each container with the options recordings use, and encoded
/// as each snapshot format (JPEG, PNG). A
/// hardware encoder that <c>ffmpeg -encoders</c> lists but that has no device behind it fails here
/// ("Could not find a valid device"), so it is never offered. Five short FFmpeg runs through the
/// runner's short-job path (its timeouts and admission), one at a time — one per candidate encoder,
/// then one writing every container and image format (each tried alone only if that one fails) —
/// and nothing afterwards.
/// </summary>
public sealed class EncoderProbe
{
    // rate=1 and one frame per output: the smallest job that opens the encoder and the muxer for real.
    private static readonly string[] TestInput = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=1"];

    /// <summary>Snapshot formats as the API names them, and FFmpeg's encoder for each.</summary>
    public static readonly IReadOnlyList<(string Format, string Encoder)> ImageFormats = [("jpg", "mjpeg"), ("png", "png")];

    private readonly FfmpegRunner _ffmpeg;
    private readonly Func<FfmpegSection> _settings;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private Task<MediaCapabilities>? _run;
    private volatile MediaCapabilities _current = MediaCapabilities.None;

    public EncoderProbe(FfmpegRunner ffmpeg, Func<FfmpegSection> settings, ILogger log)
    {
        _ffmpeg = ffmpeg;
        _settings = settings;
        _log = log;
    }

    /// <summary>What is confirmed so far (complete once the probe has finished).</summary>
    public MediaCapabilities Current => _current;

    /// <summary>Starts the probe (once; later calls do nothing). Cancelling <paramref name="stopping"/> ends it early.</summary>
    public void Start(CancellationToken stopping = default)
    {
        lock (_gate) _run ??= Task.Run(() => RunAsync(stopping), CancellationToken.None);
    }

    /// <summary>The probe's answer, waiting for it at most <paramref name="bound"/>; after that, what
    /// is confirmed so far (<see cref="MediaCapabilities.Complete"/> false). Starts it if nobody has.</summary>
    public async Task<MediaCapabilities> WaitAsync(TimeSpan bound, CancellationToken ct = default)
    {
        Start();
        try { return await _run!.WaitAsync(bound, ct).ConfigureAwait(false); }
        catch (TimeoutException) { return _current; }
    }

    private async Task<MediaCapabilities> RunAsync(CancellationToken stopping)
    {
        var encoders = new List<VideoEncoder>();
        var containers = new List<string>();
        var images = new List<string>();
        try
        {
            foreach (var candidate in VideoEncoder.Candidates)
            {
                if (await TryAsync(EncodeArguments(candidate, null), $"encoder {candidate.Encoder}", stopping).ConfigureAwait(false))
                {
                    encoders.Add(candidate);
                    _current = new MediaCapabilities([.. encoders], [], [], Complete: false);
                }
            }
            // The frame needs an encoder to be written in a container (software preferred: no device to
            // share); without one (a build with none, or no lavfi) the muxers are only looked up, so a box
            // that records by copying still says what it can write.
            var writer = encoders.FirstOrDefault(e => !e.Hardware) ?? encoders.FirstOrDefault();
            var outputs = new List<(string Kind, string Name, List<string> Output)>();
            if (writer is not null)
                outputs.AddRange(ContainerFormat.All.Select(c => ("container", c.Name, Output(writer, c))));
            outputs.AddRange(ImageFormats.Select(i => ("snapshot format", i.Format, ImageOutput(i.Encoder))));
            // All of them in one run (one output each); only if it fails is each tried alone, to find which.
            if (await TryAsync([.. TestInput, .. outputs.SelectMany(o => o.Output)], "containers and snapshot formats", stopping, quiet: true).ConfigureAwait(false))
                foreach (var o in outputs) (o.Kind == "container" ? containers : images).Add(o.Name);
            else
                foreach (var o in outputs)
                    if (await TryAsync([.. TestInput, .. o.Output], $"{o.Kind} {o.Name}", stopping).ConfigureAwait(false))
                        (o.Kind == "container" ? containers : images).Add(o.Name);
            if (writer is null)
                foreach (var container in ContainerFormat.All)
                    if (await MuxerExistsAsync(container, stopping).ConfigureAwait(false)) containers.Add(container.Name);
        }
        catch (FfmpegNotFoundException e)
        {
            _log.LogWarning("Encoder probe: {Error}; no encoder or container can be offered", e.Message);
        }
        catch (OperationCanceledException)
        {
            _log.LogDebug("Encoder probe cancelled (stopping)");
        }
        catch (Exception e)
        {
            _log.LogError(e, "Encoder probe failed");
        }
        var result = new MediaCapabilities([.. encoders], [.. containers], [.. images], Complete: true);
        _current = result;
        _log.LogInformation("Encoders that work here: {Encoders}; containers: {Containers}; snapshot formats: {Images}", result.Describe(),
            containers.Count == 0 ? "none" : string.Join(", ", containers), images.Count == 0 ? "none" : string.Join(", ", images));
        return result;
    }

    /// <summary>One test frame through <paramref name="encoder"/>: into nothing (-f null), or into <paramref name="container"/> on a pipe.</summary>
    internal static List<string> EncodeArguments(VideoEncoder encoder, ContainerFormat? container) => [.. TestInput, .. Output(encoder, container)];

    // One output of the test frame: encoded by `encoder`, written by the container's muxer (or -f null).
    private static List<string> Output(VideoEncoder encoder, ContainerFormat? container)
    {
        var args = new List<string> { "-frames:v", "1", "-pix_fmt", "yuv420p", "-c:v", encoder.Encoder };
        if (encoder.Encoder == "libx265") args.AddRange(["-x265-params", "log-level=error"]); // x265 prints its banner otherwise
        if (container is null)
        {
            args.AddRange(["-f", "null", "-"]);
            return args;
        }
        args.AddRange(["-f", container.Muxer]);
        foreach (var (key, value) in container.MuxerOptions) args.AddRange(["-" + key, value]);
        // A pipe, as unseekable as it gets: the MP4 options must make a file that needs no seeking back.
        args.Add("pipe:1");
        return args;
    }

    private static List<string> ImageOutput(string encoder) => ["-frames:v", "1", "-c:v", encoder, "-f", "image2pipe", "pipe:1"];

    /// <param name="quiet">A failure is expected to be looked into further: logged at debug level only.</param>
    private async Task<bool> TryAsync(List<string> arguments, string what, CancellationToken ct, bool quiet = false)
    {
        try
        {
            using var result = await _ffmpeg.RunAsync(arguments, Job(capture: false), ct).ConfigureAwait(false);
            _log.LogDebug("Encoder probe: {What} works", what);
            return true;
        }
        catch (FfmpegNotFoundException) { throw; }
        catch (FfmpegException e)
        {
            _log.Log(quiet ? LogLevel.Debug : LogLevel.Information, "Encoder probe: {What} does not work here: {Why}", what, LastLine(e));
            return false;
        }
    }

    // `ffmpeg -h muxer=NAME` prints "Muxer NAME [...]:" for a muxer this build has, "Unknown format" otherwise (exit 0 either way).
    private async Task<bool> MuxerExistsAsync(ContainerFormat container, CancellationToken ct)
    {
        try
        {
            using var result = await _ffmpeg.RunAsync(["-hide_banner", "-h", "muxer=" + container.Muxer], Job(capture: true), ct).ConfigureAwait(false);
            var text = System.Text.Encoding.UTF8.GetString(result.Stdout.Memory.Span);
            var found = text.StartsWith($"Muxer {container.Muxer} ", StringComparison.Ordinal);
            if (!found) _log.LogInformation("Encoder probe: this FFmpeg has no {Muxer} muxer ({Container} cannot be written)", container.Muxer, container.Name);
            return found;
        }
        catch (FfmpegNotFoundException) { throw; }
        catch (FfmpegException e)
        {
            _log.LogInformation("Encoder probe: could not look up the {Muxer} muxer: {Why}", container.Muxer, LastLine(e));
            return false;
        }
    }

    // A short job: bounded like a snapshot, and it queues like one rather than failing when the box is busy.
    private FfmpegJob Job(bool capture)
    {
        var limit = TimeSpan.FromSeconds(Math.Max(1, _settings().SnapshotExecutionTimeout));
        return new FfmpegJob { CreationTimeout = limit, ExecutionTimeout = limit, QueueTimeout = limit, CaptureStdout = capture, MaxStdoutBytes = 1024 * 1024 };
    }

    private static string LastLine(FfmpegException e)
    {
        var lines = e.StderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // FFmpeg's first error line names the cause ("Could not find a valid device"); the last is often generic.
        return lines.Length > 0 ? string.Join(" / ", lines.Take(2)) : e.Message;
    }
}
