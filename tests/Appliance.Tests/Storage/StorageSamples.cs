using System.Diagnostics;

namespace Appliance.Tests.Storage;

/// <summary>
/// Real media files made once per test run with the real ffmpeg (a 2 s H.264 MP4, a 1 s MKV, a
/// 160x120 JPEG and a 320x240 PNG), copied into each test's directory, plus helpers that set a
/// file's modification time and run a command that must succeed.
/// </summary>
public static class StorageSamples
{
    private static readonly Lazy<string> Dir = new(Make, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Mp4 => Path.Combine(Dir.Value, "sample.mp4");
    public static string Mkv => Path.Combine(Dir.Value, "sample.mkv");
    public static string Jpg => Path.Combine(Dir.Value, "sample.jpg");
    public static string Png => Path.Combine(Dir.Value, "sample.png");

    /// <summary>Copies a sample to <paramref name="dir"/>/<paramref name="name"/> with the given age.</summary>
    public static string Copy(string sample, string dir, string name, TimeSpan? age = null)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.Copy(sample, path, overwrite: true);
        if (age is { } a) SetAge(path, a);
        return path;
    }

    /// <summary>A file of exactly <paramref name="size"/> bytes (not sparse: real blocks), modified <paramref name="age"/> ago.</summary>
    public static string Bytes(string dir, string name, int size, TimeSpan? age = null)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        var content = new byte[size];
        new Random(size).NextBytes(content);
        File.WriteAllBytes(path, content);
        if (age is { } a) SetAge(path, a);
        return path;
    }

    public static void SetAge(string path, TimeSpan age) => File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);

    /// <summary>Runs a program; throws with its output unless it exits 0.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private static string Make()
    {
        var dir = Path.Combine(Path.GetTempPath(), "appliance-tests", "storage-samples-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        Run("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "2",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", Path.Combine(dir, "sample.mp4"));
        Run("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10", "-t", "1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", Path.Combine(dir, "sample.mkv"));
        Run("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=1", "-frames:v", "1", Path.Combine(dir, "sample.jpg"));
        Run("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=1", "-frames:v", "1", Path.Combine(dir, "sample.png"));
        return dir;
    }
}

/// <summary>A real tmpfs of a few MiB (the tests run as root): a file system whose figures
/// nothing else changes, to fill up on purpose. Mount failure fails the test loudly.</summary>
public sealed class Tmpfs : IDisposable
{
    public Tmpfs(string path, int sizeKiB)
    {
        Path = path;
        Directory.CreateDirectory(path);
        try
        {
            StorageSamples.Run("mount", "-t", "tmpfs", "-o", $"size={sizeKiB}k,mode=0755", "tmpfs", path);
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException($"could not mount a tmpfs at {path} (the storage tests need root): {ex.Message}", ex);
        }
    }

    public string Path { get; }

    public void Dispose() => StorageSamples.Run("umount", Path);
}
