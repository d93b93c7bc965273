namespace Appliance.Update;

// The ways talking to RAUC fails. Each message is meant to be shown as-is (get_update_status,
// update_progress, logs) and names what to do where there is something to do.

/// <summary>A rauc command failed, timed out, or printed something we could not read.</summary>
public class RaucException(string message) : Exception(message);

/// <summary><c>update.rauc_path</c> does not name an executable.</summary>
public sealed class RaucNotFoundException(string path)
    : RaucException($"rauc not found at '{path}': install RAUC on the image or set update.rauc_path");

/// <summary>A rauc command exited non-zero; <see cref="Exception.Message"/> carries RAUC's own error text.</summary>
public sealed class RaucFailedException(string command, int exitCode, string raucError)
    : RaucException(raucError.Length > 0 ? raucError : $"rauc {command} failed with exit code {exitCode}")
{
    public int ExitCode { get; } = exitCode;
}
