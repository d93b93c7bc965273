using System.Diagnostics;
using Appliance.Cameras;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.Media.Ffmpeg;
using Microsoft.Extensions.Logging;

namespace Appliance.Media.Snapshots;

public sealed record SnapshotRequest(string? FileName, string? Format, int? Quality, int? MaxWidth, int? MaxHeight, string Source = "api");

/// <summary>What a snapshot produced. <see cref="Error"/> is set (and the file absent) when it failed.</summary>
public sealed record SnapshotOutcome(Camera Camera, string FileName, string FilePath, DateTimeOffset Timestamp, long FileSize,
    string Source, string Input, TimeSpan Elapsed, string? Error)
{
    public bool Succeeded => Error is null;
}

/// <summary>A snapshot file was written (API or button), published on the event hub.</summary>
public sealed record SnapshotTaken(SnapshotOutcome Outcome) : ApplianceEvent
{
    public override string? Device => Outcome.Camera.Device;
}

/// <summary>
/// Takes a still image of a camera: from the live stream when MediaMTX is already serving it
/// (the camera is busy with the publisher, and the stream is warm), straight from the device or
/// test pattern when it is idle (<see cref="SnapshotSource"/> decides). FFmpeg writes the image to
/// stdout into pooled memory and the file is written once, atomically, so a half-written snapshot never appears in list_snapshots.
/// The API's take_snapshot and the GPIO button both come here.
/// </summary>
public sealed class SnapshotTaker(ConfigStore config, ILiveStreams streams, FfmpegRunner ffmpeg, EventHub events, ILogger<SnapshotTaker> log)
{
    private readonly SnapshotSource _source = new(streams);

    public async Task<SnapshotOutcome> TakeAsync(Camera camera, SnapshotRequest request, CancellationToken ct)
    {
        var c = config.Current;
        var format = request.Format ?? c.Snapshots.Format;
        var settings = new SnapshotSettings(format, request.Quality ?? c.Snapshots.Quality, request.MaxWidth ?? c.Snapshots.MaxWidth, request.MaxHeight ?? c.Snapshots.MaxHeight);
        var dir = c.Snapshots.Path;
        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow;
        var name = request.FileName is { } given ? WithExtension(given, format) : MediaFileNames.Snapshot(camera.Id, now, format);
        name = MediaFileNames.Unique(dir, name);
        var path = Path.Combine(dir, name);

        var (args, input) = await _source.ChooseAsync(camera, settings, ct);
        var job = FfmpegJob.Snapshot(c.Ffmpeg);
        var started = Stopwatch.GetTimestamp();
        SnapshotOutcome outcome;
        try
        {
            FfmpegResult result;
            try
            {
                result = await ffmpeg.RunAsync(args, job, ct);
            }
            catch (FfmpegException ex) when (input == "stream" && LiveStreamRead.FoundNoPicture(ex) && Stopwatch.GetElapsedTime(started) < job.ExecutionTimeout / 2)
            {
                // Once more (the source chosen anew: the stream may have gone meanwhile). See LiveStreamRead.
                log.LogWarning("Snapshot of {Device}: FFmpeg found no picture in the live stream; trying once more", camera.Device);
                (args, input) = await _source.ChooseAsync(camera, settings, ct);
                result = await ffmpeg.RunAsync(args, job, ct);
            }
            using (result)
            {
                if (result.Stdout.Length == 0) throw new FfmpegException("FFmpeg produced no image", result.StderrTail);
                SnapshotWriter.Write(path, result.Stdout);
                outcome = new SnapshotOutcome(camera, name, path, now, result.Stdout.Length, request.Source, input, Stopwatch.GetElapsedTime(started), null);
            }
            log.LogInformation("Snapshot {File} of {Device} from the {Input}: {Bytes} bytes in {Ms:F0} ms", name, camera.Device, input, outcome.FileSize, outcome.Elapsed.TotalMilliseconds);
        }
        catch (FfmpegException ex)
        {
            outcome = new SnapshotOutcome(camera, name, path, now, 0, request.Source, input, Stopwatch.GetElapsedTime(started), ex.Message);
            log.LogWarning("Snapshot of {Device} failed: {Error}", camera.Device, ex.Message);
        }
        catch (IOException ex)
        {
            outcome = new SnapshotOutcome(camera, name, path, now, 0, request.Source, input, Stopwatch.GetElapsedTime(started), $"cannot write {name}: {ex.Message}");
            log.LogWarning("Snapshot of {Device} could not be written: {Error}", camera.Device, ex.Message);
        }
        if (outcome.Succeeded) events.Publish(new SnapshotTaken(outcome));
        return outcome;
    }

    private static string WithExtension(string name, string format)
    {
        var ext = Path.GetExtension(name).TrimStart('.').ToLowerInvariant();
        return ext == format || (format == "jpg" && ext == "jpeg") ? name : $"{name}.{format}";
    }
}
