using Appliance.MediaAccess;
using Appliance.Security;
using Appliance.Security.Sessions;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting.Composition;

/// <summary>Security: JWTs under the trusted clock, API keys (watched: a revoked key ends its sessions),
/// one failed-credential budget per client address for every door a credential comes through, console
/// sessions (a cookie for browsers) and read-only media tokens. All bounded, all in memory, no timer.</summary>
internal sealed record SecurityParts(Authenticator Authenticator, AuthFailureThrottle AuthFailures, ApiKeyStore ApiKeys, ConsoleSessions Sessions,
    MediaTokens MediaTokens)
{
    public static SecurityParts Add(HostContext host)
    {
        var config = host.Config;
        var clock = new TrustedClock(stateFile: Path.Combine(host.StateDir, "clock-floor"));
        var jwt = new JwtAuthority(() => config.Current.Security.JwtSecret,
            maxLifetime: () => TimeSpan.FromSeconds(config.Current.Security.MaxTokenLifetime), clock: clock);
        var apiKeys = new ApiKeyStore(() => config.Current.Security.ApiKeysFile);
        var sessions = new ConsoleSessions(() => TimeSpan.FromSeconds(config.Current.Security.SessionLifetime), () => config.Current.Security.MaxSessions);
        var mediaTokens = new MediaTokens(() => TimeSpan.FromSeconds(config.Current.Mediamtx.MediaTokenLifetime));
        apiKeys.Watch();
        host.Lifetime.ApplicationStopped.Register(apiKeys.Dispose);
        return new SecurityParts(new Authenticator(jwt, apiKeys), new AuthFailureThrottle(() => config.Current.Security.AuthFailuresPerMinute),
            apiKeys, sessions, mediaTokens);
    }
}
