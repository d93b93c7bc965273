using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Appliance.Storage;

namespace Appliance.Security;

/// <summary>
/// API keys on disk, hashed. Keys are 256-bit random values, so a plain SHA-256 is enough
/// (a slow password hash protects guessable secrets, which these are not). Lookups compare
/// against every stored hash in constant time. The file is re-read when it changes on disk,
/// so keys added or revoked with the admin CLI apply to the running service at once; with
/// <see cref="Watch"/>, <see cref="Changed"/> also tells the service (inotify, no polling) so that
/// sessions bound to a revoked key end within moments.
/// </summary>
public sealed class ApiKeyStore(Func<string> path) : IDisposable
{
    private const string Prefix = "apk_";
    private readonly Lock _gate = new();
    private List<ApiKeyRecord> _keys = [];
    private (string Path, DateTime Stamp, long Length) _loaded;
    private FileSystemWatcher? _watcher;

    /// <summary>Raised (on a thread-pool thread) after the key file changed on disk.</summary>
    public event Action? Changed;

    /// <summary>Follows the key file's directory (created if missing, so a first key added later is seen too).</summary>
    public void Watch()
    {
        var file = Path.GetFullPath(path());
        var dir = Path.GetDirectoryName(file)!;
        try
        {
            Directory.CreateDirectory(dir);
            var watcher = new FileSystemWatcher(dir, Path.GetFileName(file))
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            FileSystemEventHandler onChange = (_, _) => Changed?.Invoke();
            watcher.Changed += onChange;
            watcher.Created += onChange;
            watcher.Deleted += onChange;
            watcher.Renamed += (_, _) => Changed?.Invoke();
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // Without a watcher, revocation still applies to every new authentication (the file is re-read).
        }
    }

    /// <summary>True while the key with this id is in the file.</summary>
    public bool IsActive(string id)
    {
        try
        {
            lock (_gate) return Current().Exists(k => k.Id == id);
        }
        catch (InvalidDataException)
        {
            return false;   // a corrupt key file vouches for nobody
        }
    }

    /// <summary>The key id of a credential this store issued ("api_key:ID"), or null.</summary>
    public static string? KeyIdOf(AuthResult auth) =>
        auth is { Ok: true, Method: "api_key" } && auth.UserId.StartsWith("api_key:", StringComparison.Ordinal) ? auth.UserId[8..] : null;

    public void Dispose() => _watcher?.Dispose();

    /// <summary>Creates a key; returns the record and the key itself (shown once, never stored).</summary>
    public (ApiKeyRecord Record, string Key) Add(Role role, string name)
    {
        lock (_gate)
        {
            var keys = LoadFromDisk();
            var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
            var key = $"{Prefix}{id}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
            var record = new ApiKeyRecord { Id = id, Name = name, Role = Roles.Name(role), Sha256 = Hash(key), CreatedAt = DateTimeOffset.UtcNow };
            keys.Add(record);
            Save(keys);
            return (record, key);
        }
    }

    public bool Revoke(string id)
    {
        lock (_gate)
        {
            var keys = LoadFromDisk();
            var removed = keys.RemoveAll(k => k.Id == id) > 0;
            if (removed) Save(keys);
            return removed;
        }
    }

    public IReadOnlyList<ApiKeyRecord> List()
    {
        lock (_gate) return [.. Current()];
    }

    public AuthResult Validate(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 200) return AuthResult.Fail("invalid API key");
        var presented = Convert.FromHexString(Hash(key));
        ApiKeyRecord? match = null;
        List<ApiKeyRecord> keys;
        lock (_gate) keys = Current();
        foreach (var record in keys)
        {
            // No early exit: the time taken does not depend on which key (if any) matched.
            byte[] stored;
            try { stored = Convert.FromHexString(record.Sha256); } catch (FormatException) { continue; }
            if (CryptographicOperations.FixedTimeEquals(presented, stored)) match = record;
        }
        if (match is null) return AuthResult.Fail("invalid API key");
        return Roles.TryParse(match.Role, out var role)
            ? AuthResult.Success(role, "api_key:" + match.Id, null, "api_key")
            : AuthResult.Fail("API key has an unknown role");
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    // Cached list, refreshed when the file's timestamp or size changes.
    private List<ApiKeyRecord> Current()
    {
        var file = path();
        var info = new FileInfo(file);
        var stamp = info.Exists ? (file, info.LastWriteTimeUtc, info.Length) : (file, DateTime.MinValue, -1L);
        if (stamp != _loaded)
        {
            _keys = LoadFromDisk();
            _loaded = stamp;
        }
        return _keys;
    }

    private List<ApiKeyRecord> LoadFromDisk()
    {
        var file = path();
        if (!File.Exists(file)) return [];
        try
        {
            using var stream = File.OpenRead(file);
            return JsonSerializer.Deserialize(stream, SecurityJsonContext.Default.ApiKeyFile)?.Keys ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"API key file {file} is corrupt: {ex.Message}", ex);
        }
    }

    private void Save(List<ApiKeyRecord> keys)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(new ApiKeyFile { Keys = keys }, SecurityJsonContext.Default.ApiKeyFile);
        AtomicFile.Write(path(), bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _keys = keys;
        var info = new FileInfo(path());
        _loaded = (path(), info.LastWriteTimeUtc, info.Length);
    }
}
