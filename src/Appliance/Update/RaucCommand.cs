using Appliance.Processes;

namespace Appliance.Update;

/// <summary>What one rauc command printed and how it ended.</summary>
/// <param name="Stdout">All of stdout (bounded), for commands whose output is parsed (status JSON).</param>
/// <param name="StdoutTail">The last stdout lines (RAUC prints "LastError: ..." there).</param>
/// <param name="StderrTail">The last stderr lines (RAUC's g_printerr messages).</param>
public sealed record RaucOutput(int ExitCode, string Stdout, IReadOnlyList<string> StdoutTail, IReadOnlyList<string> StderrTail);

/// <summary>
/// Runs one rauc CLI command once, on the service's <see cref="ProcessRunner"/> (argument list,
/// own process group, recorded for crash recovery): stdin closed, stdout read line by line (each
/// line handed to the caller as it comes, so install progress is live), stderr kept as a short
/// tail for the error message. A timeout or the caller's cancellation kills it and its whole
/// group at once (<see cref="StopLadder.KillAtOnce"/>): the CLI holds no state of its own (the
/// daemon does), and killing it does not abort an installation the RAUC service is already
/// running (RAUC says so itself); it only stops us waiting. No concurrency cap: rauc commands
/// are short and rare, and must never wait behind media work.
/// </summary>
internal static class RaucCommand
{
    private const int TailLines = 20;

    public static async Task<RaucOutput> RunAsync(ProcessRunner processes, string raucPath, IReadOnlyList<string> arguments, TimeSpan timeout,
        Action<string>? onStdoutLine, CancellationToken cancellation)
    {
        // Resolve first: a clear "rauc not found" rather than a failure from deep inside the start.
        var program = ExecutableResolver.Resolve(raucPath) ?? throw new RaucNotFoundException(raucPath);
        var stdout = new RaucOutputLines(TailLines, onStdoutLine);
        var options = new ChildProcessOptions
        {
            StdoutSink = stdout,
            StderrLines = TailLines,
            StderrBytes = 16 * 1024, // the line count is the bound that matters: 20 lines of at most 512 bytes
            // RAUC's messages are parsed (progress lines) and quoted to technicians: keep them untranslated.
            Environment = new Dictionary<string, string> { ["LC_ALL"] = "C" },
        };
        var command = string.Join(' ', arguments.TakeWhile(a => !a.StartsWith('-')).Take(2));
        ChildProcess process;
        try
        {
            process = await processes.RunAsync(program, arguments, options, timeout, cancellation).ConfigureAwait(false);
        }
        catch (ChildProcessTimeoutException)
        {
            throw new RaucException($"{Path.GetFileName(program)} {command} did not finish within {timeout.TotalSeconds:0.###} s (stopped)");
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new RaucException($"could not start {program}: {e.Message}");
        }
        using (process)
        {
            var code = await process.Exited.ConfigureAwait(false);
            return new RaucOutput(code, stdout.Text, stdout.Tail, process.StderrLines);
        }
    }
}
