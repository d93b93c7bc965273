using Appliance.Media.Encoders;
using Appliance.Media.Ffmpeg;
using Appliance.Media.Recordings;
using Appliance.Media.Recordings.Repair;
using Appliance.Media.Snapshots;
using Appliance.Resources;

namespace Appliance.Hosting.Composition;

/// <summary>Media: snapshots and stills (short FFmpeg jobs under one concurrency cap), recordings
/// (admitted by the resource guard and the storage room), the encoder probe, and the start-up pass
/// that repairs what a crash or a power cut left.</summary>
internal sealed record MediaParts(FfmpegRunner Ffmpeg, SnapshotTaker Snapshots, StillCapture Stills, Recorder Recorder, RecordingEndLog RecordingEnds,
    EncoderProbe Encoders, RecordingOptionsResolver RecordingOptions)
{
    public static MediaParts Add(HostContext host, CamerasParts cameras, MediaServerParts mediaServer, ProcessesParts processes,
        StorageParts storage, RecordingsInProgress recordings)
    {
        var config = host.Config;
        // ffmpeg.max_concurrent = 0 (the default): one short job per camera, at least 4. A snapshot FFmpeg
        // mostly waits for the next keyframe (little CPU), so the count follows the cameras, not the cores.
        var ffmpeg = new FfmpegRunner(config, processes.Runner, host.Log<FfmpegRunner>(),
            automaticLimit: () => Math.Max(FfmpegRunner.MinimumAutomaticLimit, cameras.Registry.All.Count));
        var streams = mediaServer.Streams;
        var snapshots = new SnapshotTaker(config, streams, ffmpeg, host.Events, host.Log<SnapshotTaker>());
        // Still images from memory (no file): one capture per camera and variant within a second.
        var stills = new StillCapture(config, new SnapshotSource(streams), ffmpeg, host.Log<StillCapture>());
        host.Lifetime.ApplicationStopping.Register(stills.Dispose);

        // Why each recording file ended (get_recording_info's reason), kept across restarts in the state directory.
        var ends = new RecordingEndLog(host.StateDir, config.Current.Recording.Path, host.Log<RecordingEndLog>());
        // Recordings are admitted by what the box has left (CPU, memory), measured from /proc when asked.
        var resources = new ResourceGuard(config, new MachineLoad(), host.Log<ResourceGuard>());
        var recorder = new Recorder(config, streams, ffmpeg, host.Events, recordings, storage.Room, resources, ends, host.Log<Recorder>());

        // Which encoders and containers really work here: probed once, in the background after start (READY is not held for it).
        var encoders = new EncoderProbe(ffmpeg, () => config.Current.Ffmpeg, host.Log<EncoderProbe>());
        var options = new RecordingOptionsResolver(encoders, () => config.Current.Recording.Format);
        host.Lifetime.ApplicationStarted.Register(() => encoders.Start(host.Lifetime.ApplicationStopping));
        RepairWhatACrashLeft(host, recorder);
        return new MediaParts(ffmpeg, snapshots, stills, recorder, ends, encoders, options);
    }

    // Files written before this start (their FFmpeg children were reaped already) are cut back to
    // their last whole fragment, off the start-up path.
    private static void RepairWhatACrashLeft(HostContext host, Recorder recorder)
    {
        var cutoff = DateTime.UtcNow;
        host.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                var results = await new RecordingRecovery(host.Log<RecordingRecovery>())
                    .RunAsync(host.Config.Current.Recording.Path, cutoff, recorder.IsBeingWritten, host.Lifetime.ApplicationStopping);
                recorder.Counters.CountTornTails(results.Count(r => r.Changed));
            }
            catch (OperationCanceledException) { } // stopping: the next start finishes the pass
        }));
    }
}
