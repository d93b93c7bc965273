using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Appliance.Media.Process;

namespace Appliance.Update;

/// <summary>What one rauc command printed and how it ended.</summary>
/// <param name="Stdout">All of stdout (bounded), for commands whose output is parsed (status JSON).</param>
/// <param name="StdoutTail">The last stdout lines (RAUC prints "LastError: ..." there).</param>
/// <param name="StderrTail">The last stderr lines (RAUC's g_printerr messages).</param>
public sealed record RaucOutput(int ExitCode, string Stdout, IReadOnlyList<string> StdoutTail, IReadOnlyList<string> StderrTail);

/// <summary>
/// Runs one OTA command once (the rauc CLI; also the reboot command, <see cref="DeviceReboot"/>): an argument list (never a shell string), stdin closed, stdout read line by
/// line (each line handed to the caller as it comes, so install progress is live), stderr kept as a
/// short tail for the error message. A timeout or the caller's cancellation kills it and anything it
/// started. Killing the CLI does not abort an
/// installation the RAUC service is already running (RAUC says so itself); it only stops us waiting.
/// Unlike FFmpeg (Media/Process) there is no own process group, crash registry or concurrency cap:
/// rauc commands are short, rare, and the CLI is only a client of the RAUC daemon.
/// </summary>
internal static class RaucProcess
{
    private const int TailLines = 20;
    private const int MaxStdoutChars = 4 * 1024 * 1024;

    public static async Task<RaucOutput> RunAsync(string raucPath, IReadOnlyList<string> arguments, TimeSpan timeout,
        Action<string>? onStdoutLine, CancellationToken cancellation)
    {
        // Resolve first: a clear "rauc not found" instead of a Win32Exception from deep inside Process.Start.
        var program = ExecutableResolver.Resolve(raucPath) ?? throw new RaucNotFoundException(raucPath);
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        // RAUC's messages are parsed (progress lines) and quoted to technicians: keep them untranslated.
        psi.Environment["LC_ALL"] = "C";
        ChildEnvironment.Scrub(psi);

        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new RaucException($"could not start {program}: {e.Message}");
        }
        // rauc never reads stdin; EOF rather than an open pipe it could ever wait on.
        try { process.StandardInput.Close(); } catch (IOException) { }

        var command = string.Join(' ', arguments.TakeWhile(a => !a.StartsWith('-')).Take(2));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        var stdout = new StringBuilder();
        var stdoutTail = new Queue<string>();
        var stderrTail = new Queue<string>();
        var readOut = PumpAsync(process.StandardOutput, line =>
        {
            if (stdout.Length < MaxStdoutChars) stdout.Append(line).Append('\n');
            Keep(stdoutTail, line);
            onStdoutLine?.Invoke(line);
        }, limit.Token);
        var readErr = PumpAsync(process.StandardError, line => Keep(stderrTail, line), limit.Token);
        try
        {
            await Task.WhenAll(readOut, readErr, process.WaitForExitAsync(limit.Token)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process).ConfigureAwait(false);
            cancellation.ThrowIfCancellationRequested();
            throw new RaucException($"{Path.GetFileName(program)} {command} did not finish within {timeout.TotalSeconds:0.###} s (stopped)");
        }
        return new RaucOutput(process.ExitCode, stdout.ToString(), [.. stdoutTail], [.. stderrTail]);
    }

    private static async Task PumpAsync(StreamReader reader, Action<string> onLine, CancellationToken cancellation)
    {
        while (await reader.ReadLineAsync(cancellation).ConfigureAwait(false) is { } line)
            onLine(line);
    }

    private static void Keep(Queue<string> tail, string line)
    {
        if (line.Length == 0) return;
        tail.Enqueue(line.Length <= 512 ? line : line[..512]);
        while (tail.Count > TailLines) tail.Dequeue();
    }

    // SIGKILL to the CLI and everything it started, at once: the CLI holds no state of its own (the
    // daemon does), and a SIGTERM-then-wait would leave a script's children running once the script died.
    private static async Task StopAsync(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // exited meanwhile
        catch (Win32Exception) { }
        try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (TimeoutException) { } // stuck in the kernel; the Process object still reaps it when it goes
    }
}
