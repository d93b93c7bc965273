using System.Diagnostics;

namespace Appliance.Testing.MediaMtx.Hls;

/// <summary>
/// One path's HLS output, as MediaMTX's muxer: FFmpeg reads the path from the stand-in's own RTSP
/// relay (which starts the path's runOnDemand publisher, as a reader does in MediaMTX) and writes
/// fMP4 segments of about a second (<c>-c copy</c>: no re-encoding) with a short list into a temp
/// directory of its own; old segments are deleted as the list moves. Started by the first
/// authorised playlist request, stopped by <see cref="HlsServer"/> after its close-after period
/// without requests.
/// </summary>
internal sealed class HlsMuxer : IDisposable
{
    public const string MultivariantPlaylist = "index.m3u8";
    public const string MediaPlaylist = "stream.m3u8";

    private readonly Process _ffmpeg;
    private readonly Lock _gate = new();
    private readonly Queue<string> _stderr = new();
    private long _lastRequest;

    private HlsMuxer(string path, string directory, Process ffmpeg)
    {
        PathName = path;
        Directory = directory;
        _ffmpeg = ffmpeg;
        Touch();
    }

    public string PathName { get; }

    /// <summary>The temp directory FFmpeg writes into (deleted on <see cref="Dispose"/>).</summary>
    public string Directory { get; }

    public bool HasExited => _ffmpeg.HasExited;

    public int ProcessId => _ffmpeg.Id;

    public DateTime LastRequest => new(Interlocked.Read(ref _lastRequest), DateTimeKind.Utc);

    public void Touch() => Interlocked.Exchange(ref _lastRequest, DateTime.UtcNow.Ticks);

    /// <summary>FFmpeg's last lines on stderr (why the muxer failed).</summary>
    public string Errors { get { lock (_gate) return string.Join("\n", _stderr); } }

    /// <param name="rtspUrl">The relay's URL for the path, with the reader's credentials.</param>
    public static HlsMuxer Start(string path, string rtspUrl, string ffmpeg = "ffmpeg")
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("mediamtx-standin-hls-").FullName;
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (var a in new[]
                 {
                     "-nostdin", "-hide_banner", "-loglevel", "error",
                     "-rtsp_transport", "tcp", "-timeout", "10000000", "-i", rtspUrl,
                     "-map", "0", "-c", "copy",
                     "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                     "-hls_flags", "delete_segments+independent_segments+omit_endlist",
                     "-hls_delete_threshold", "2",
                     "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
                     "-hls_segment_filename", Path.Combine(directory, "seg%d.mp4"),
                     Path.Combine(directory, MediaPlaylist),
                 })
            start.ArgumentList.Add(a);
        var process = new Process { StartInfo = start };
        var muxer = new HlsMuxer(path, directory, process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (muxer._gate)
            {
                muxer._stderr.Enqueue(e.Data);
                while (muxer._stderr.Count > 20) muxer._stderr.Dequeue(); // bounded: only the tail explains a failure
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        return muxer;
    }

    /// <summary>Waits until FFmpeg has written the init section and a first segment (false: it did not in time, or exited).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsReady() && DateTime.UtcNow < deadline && !_ffmpeg.HasExited) await Task.Delay(100, ct);
        return IsReady();
    }

    private bool IsReady()
    {
        try
        {
            return File.Exists(Path.Combine(Directory, "init.mp4"))
                && File.ReadAllLines(Path.Combine(Directory, MediaPlaylist)).Any(l => l.Length > 0 && !l.StartsWith('#'));
        }
        catch (IOException) { return false; } // not written yet (or being replaced)
    }

    /// <summary>The multivariant playlist as MediaMTX writes it: one variant, the media playlist, with
    /// CODECS and RESOLUTION read from the init section's avcC (FFmpeg leaves the variant out of its own
    /// master playlist when it knows no bitrate, as with -c copy) and a bandwidth from the first segment.</summary>
    public string Multivariant()
    {
        var init = File.ReadAllBytes(Path.Combine(Directory, "init.mp4"));
        var attributes = new List<string>();
        var segment = new DirectoryInfo(Directory).GetFiles("seg*.mp4").OrderBy(f => f.CreationTimeUtc).FirstOrDefault();
        attributes.Add($"BANDWIDTH={Math.Max(1, (segment?.Length ?? 0) * 8)}"); // segments last about 1 s
        var avcC = IndexOf(init, "avcC"u8);
        if (avcC >= 0 && avcC + 8 <= init.Length)
            attributes.Add($"CODECS=\"avc1.{init[avcC + 5]:x2}{init[avcC + 6]:x2}{init[avcC + 7]:x2}\"");
        var avc1 = IndexOf(init, "avc1"u8);
        if (avc1 >= 0 && avc1 + 32 <= init.Length) // sample entry: 6 reserved, data ref (2), 16 pre-defined/reserved, then width and height
            attributes.Add($"RESOLUTION={init[avc1 + 28] << 8 | init[avc1 + 29]}x{init[avc1 + 30] << 8 | init[avc1 + 31]}");
        return $"#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n\n#EXT-X-STREAM-INF:{string.Join(',', attributes)}\n{MediaPlaylist}\n";
    }

    private static int IndexOf(byte[] data, ReadOnlySpan<byte> tag) => data.AsSpan().IndexOf(tag);

    /// <summary>A file FFmpeg wrote, or null: only plain names (no directories), so a request cannot leave the muxer's directory.</summary>
    public string? FindFile(string name)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') || name.StartsWith('.')) return null;
        var file = Path.Combine(Directory, name);
        return File.Exists(file) ? file : null;
    }

    public void Dispose()
    {
        try
        {
            if (!_ffmpeg.HasExited)
            {
                _ffmpeg.Kill(entireProcessTree: true);
                _ffmpeg.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { } // never started or already gone
        _ffmpeg.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
