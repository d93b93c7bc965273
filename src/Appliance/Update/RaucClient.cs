using Appliance.Processes;
using Microsoft.Extensions.Logging;

namespace Appliance.Update;

/// <summary>
/// The three things the service asks RAUC, over its command-line interface (the binary at
/// <c>update.rauc_path</c>, read at each call). The CLI rather than D-Bus: no D-Bus library in the
/// AOT binary, and the CLI's output formats are RAUC's documented, stable interface. Each command
/// runs through <see cref="RaucCommand"/> on the service's <see cref="ProcessRunner"/>.
/// </summary>
public sealed class RaucClient(Func<string> raucPath, ProcessRunner processes, ILogger<RaucClient> log)
{
    public static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan MarkGoodTimeout = TimeSpan.FromSeconds(30);
    // A bundle streamed over a slow link can take long; past this something is wrong.
    public static readonly TimeSpan InstallTimeout = TimeSpan.FromHours(2);

    /// <summary><c>rauc status --detailed --output-format=json</c>: --detailed adds each slot's
    /// slot_status (bundle version, installed timestamp), which the mark-good gate compares.</summary>
    public async Task<RaucStatus> GetStatusAsync(CancellationToken cancellation = default)
    {
        var output = await RunAsync(["status", "--detailed", "--output-format=json"], StatusTimeout, null, cancellation).ConfigureAwait(false);
        return RaucStatus.Parse(output.Stdout);
    }

    /// <summary><c>rauc status mark-good booted</c>: tells the bootloader the running slot works, so it
    /// stops counting boot attempts and never falls back from it. Returns what RAUC printed.</summary>
    public async Task<string> MarkGoodBootedAsync(CancellationToken cancellation = default)
    {
        var output = await RunAsync(["status", "mark-good", "booted"], MarkGoodTimeout, null, cancellation).ConfigureAwait(false);
        return output.Stdout.Trim();
    }

    /// <summary><c>rauc status mark-bad booted</c>: the running slot failed its trial; the bootloader
    /// boots the other one next time.</summary>
    public async Task<string> MarkBadBootedAsync(CancellationToken cancellation = default)
    {
        var output = await RunAsync(["status", "mark-bad", "booted"], MarkGoodTimeout, null, cancellation).ConfigureAwait(false);
        return output.Stdout.Trim();
    }

    /// <summary>
    /// <c>rauc install BUNDLE</c>: each progress line is handed to <paramref name="progress"/> as RAUC
    /// prints it. Returns normally when RAUC's exit code says it succeeded; throws
    /// <see cref="RaucFailedException"/> with RAUC's own error text otherwise.
    /// </summary>
    public async Task InstallAsync(string bundle, Action<RaucProgressLine> progress, CancellationToken cancellation = default)
    {
        await RunAsync(["install", bundle], InstallTimeout, line =>
        {
            if (RaucProgressLine.TryParse(line, out var p)) progress(p);
        }, cancellation).ConfigureAwait(false);
    }

    private async Task<RaucOutput> RunAsync(string[] arguments, TimeSpan timeout, Action<string>? onLine, CancellationToken cancellation)
    {
        var output = await RaucCommand.RunAsync(processes, raucPath(), arguments, timeout, onLine, cancellation).ConfigureAwait(false);
        if (output.ExitCode == 0) return output;
        var error = ErrorText(output);
        log.LogWarning("rauc {Arguments} failed with exit code {Code}: {Error}", string.Join(' ', arguments), output.ExitCode, error);
        throw new RaucFailedException(arguments[0], output.ExitCode, error);
    }

    /// <summary>
    /// What went wrong, in RAUC's words. The CLI prints the daemon's error on stdout as
    /// <c>LastError: ...</c> and its own complaints on stderr (<c>Failed to ...</c>, <c>Installing `x` failed</c>):
    /// the LastError lines say why, so they come first; stderr follows; an exit code alone is the last resort.
    /// </summary>
    private static string ErrorText(RaucOutput output)
    {
        var lastErrors = output.StdoutTail
            .Select(l => l.Replace("\u001b[J", "", StringComparison.Ordinal).Trim())
            .Where(l => l.StartsWith("LastError:", StringComparison.Ordinal))
            .Select(l => l["LastError:".Length..].Trim());
        var parts = lastErrors.Concat(output.StderrTail.Select(l => l.Trim())).Where(l => l.Length > 0).Distinct().TakeLast(6).ToList();
        return parts.Count > 0 ? string.Join("; ", parts) : $"exit code {output.ExitCode}";
    }
}
