using System.Text.Json;
using Appliance.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Storage;

/// <summary>
/// The retention policy set through the API, kept in <c>storage.state_dir/retention-policy.json</c>
/// (written atomically, so a power cut leaves the old or the new policy, never half of one).
/// Until a policy has been set, the config's <c>storage.retention_*</c>, <c>max_age_days</c> and
/// <c>max_size_gb</c> apply, live. A state file that cannot be read is logged and ignored (the
/// config applies) and is replaced by the next set_retention_policy.
/// </summary>
public sealed class RetentionPolicyStore
{
    public const string FileName = "retention-policy.json";

    private readonly Func<StorageSection> _config;
    private readonly Lock _gate = new();
    private RetentionPolicy? _stored;

    public RetentionPolicyStore(ConfigStore config, ILogger log) : this(config.Current.Storage.StateDir, () => config.Current.Storage, log)
    {
    }

    public RetentionPolicyStore(string stateDir, Func<StorageSection> config, ILogger log)
    {
        _config = config;
        FilePath = Path.Join(Path.GetFullPath(stateDir), FileName);
        _stored = Load(FilePath, log);
    }

    public string FilePath { get; }

    /// <summary>The policy in force: the stored one, else the config's.</summary>
    public RetentionPolicy Current
    {
        get { lock (_gate) return _stored ?? RetentionPolicy.FromConfig(_config()); }
    }

    /// <summary>Stores <paramref name="policy"/> (stamped with the time) and makes it current. If the
    /// file cannot be written, the exception propagates and the previous policy stays in force.</summary>
    public RetentionPolicy Save(RetentionPolicy policy)
    {
        var stamped = policy with { UpdatedAt = DateTimeOffset.UtcNow };
        lock (_gate)
        {
            AtomicFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(stamped, StorageJsonContext.Default.RetentionPolicy));
            _stored = stamped;
        }
        return stamped;
    }

    private static RetentionPolicy? Load(string path, ILogger log)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var policy = JsonSerializer.Deserialize(File.ReadAllBytes(path), StorageJsonContext.Default.RetentionPolicy);
            if (policy?.Problem() is { } problem) throw new InvalidDataException(problem);
            return policy;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            log.LogError("Retention policy file {Path} is unusable ({Reason}); the config's storage.retention_* values apply until a policy is set", path, ex.Message);
            return null;
        }
    }
}
