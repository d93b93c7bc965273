using System.Security.Cryptography;
using System.Text;
using Appliance.Configuration;

namespace Appliance.MediaMtx;

/// <summary>A user name and password this service presents to MediaMTX (RTSP URL or HTTP Basic).</summary>
public sealed class MediaCredential(string user, string password)
{
    public string User { get; } = user;
    public string Password { get; } = password;

    /// <summary>Constant time in the content (only the lengths may show), so a caller cannot learn
    /// the password a character at a time from how long a refusal takes.</summary>
    public bool Matches(string? user, string? password) =>
        Same(User, user) & Same(Password, password);

    private static bool Same(string expected, string? given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given ?? ""));

    /// <summary>Never the password: these objects end up in log lines by accident otherwise.</summary>
    public override string ToString() => $"{User}:***";
}

/// <summary>
/// The credentials this service uses with MediaMTX, made fresh at every start: MediaMTX asks the
/// service's auth hook about each of them, so nothing has to be stored or shared in a file.
/// InternalRead is for the service's own readers (recorder, snapshots), Publish for the
/// runOnDemand publishers, Api for the control API client.
/// </summary>
public sealed class MediaCredentials(MediaCredential internalRead, MediaCredential publish, MediaCredential api)
{
    public MediaCredential InternalRead { get; } = internalRead;
    public MediaCredential Publish { get; } = publish;
    public MediaCredential Api { get; } = api;

    /// <summary>Random per-boot credentials; the API one comes from mediamtx.api_username/api_password
    /// when they are set (so an operator's tools keep working), else it is random too.</summary>
    public static MediaCredentials Generate(MediaMtxSection config) => new(
        new MediaCredential("appliance-read", Secret()),
        new MediaCredential("appliance-publish", Secret()),
        config.ApiUsername.Length > 0 ? new MediaCredential(config.ApiUsername, config.ApiPassword) : new MediaCredential("appliance-api", Secret()));

    // 32 random bytes as hex: no character that needs escaping in a URL or a runOnDemand command line.
    private static string Secret() => RandomNumberGenerator.GetHexString(64, lowercase: true);
}
