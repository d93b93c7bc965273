using Appliance.Buffers;
using Appliance.Storage;

namespace Appliance.Media.Ffmpeg;

/// <summary>
/// Puts a captured still image on disk in one step, through <see cref="AtomicFile.Write"/> (temp
/// file in the same directory, fsync, rename, fsync of the directory): a client listing the
/// snapshot directory, or a power cut, never sees a half-written JPEG.
/// </summary>
public static class SnapshotWriter
{
    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/>. An empty capture is
    /// refused: FFmpeg can exit 0 without having written a frame, and an empty file is no snapshot.</summary>
    public static void Write(string path, PooledBuffer image, UnixFileMode? mode = null)
    {
        if (image.Length == 0) throw new FfmpegException($"FFmpeg produced no image for {path}");
        AtomicFile.Write(path, image.Span, mode);
    }

    /// <summary>Runs a snapshot job (stdout captured), writes the image to <paramref name="path"/>
    /// and gives the pooled memory back. Returns the number of bytes written.</summary>
    public static async Task<int> CaptureAsync(FfmpegRunner runner, IReadOnlyList<string> arguments, FfmpegJob job, string path, CancellationToken cancellation = default)
    {
        using var result = await runner.RunAsync(arguments, job with { CaptureStdout = true }, cancellation).ConfigureAwait(false);
        if (result.Stdout.Length == 0) throw new FfmpegException($"FFmpeg produced no image for {path}", result.StderrTail);
        Write(path, result.Stdout);
        return result.Stdout.Length;
    }
}
