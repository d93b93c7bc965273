using System.Net;
using Appliance.Configuration;
using Appliance.MediaMtx;
using Appliance.Security;

namespace Appliance.MediaAccess;

/// <summary>What the hook answers MediaMTX. Only <see cref="Allow"/> is a 2xx; MediaMTX treats every
/// other status as "no" and itself decides whether to ask the client for credentials (it does when
/// the client sent none).</summary>
public enum MediaAccessDecision
{
    Allow,
    /// <summary>No credential at all: the normal first try of RTSP players and browsers (401, not a failure).</summary>
    NoCredential,
    /// <summary>A credential that does not allow this action (403, counted against the address).</summary>
    Deny,
    /// <summary>Too many wrong credentials from this address this minute (429; not even checked).</summary>
    Throttled,
    /// <summary>An action MediaMTX does not send (400).</summary>
    UnknownAction,
}

/// <summary>
/// Who may do what with the media server:
/// read/playback — a JWT or API key of role viewer or above (as the password with any user name,
///   as a Bearer token, or as ?token=), a media token (get_stream_token) carried the same ways but
///   for its own path only, the service's internal read credential from loopback, or anyone when
///   mediamtx.anonymous_read is true;
/// publish — the service's per-boot publish credential, from loopback only;
/// api/metrics/pprof — the service's API credential.
/// </summary>
/// <param name="failures">The service's one failure budget per client address (shared with authenticate,
/// the WebSocket upgrade and downloads): a guesser gains nothing by switching to the media ports.</param>
/// <param name="mediaTokens">The read-only per-path tokens; asked for read/playback only, never for anything else.</param>
public sealed class MediaAccessPolicy(MediaCredentials credentials, Authenticator authenticator, ConfigStore config, AuthFailureThrottle failures,
    MediaTokens mediaTokens)
{
    // Longer strings are neither a JWT of ours nor an API key: not worth validating.
    private const int MaxCredentialLength = 4096;

    public MediaAccessDecision Decide(MediaAuthRequest request)
    {
        var action = request.Action ?? "";
        if (action is not ("read" or "playback" or "publish" or "api" or "metrics" or "pprof")) return MediaAccessDecision.UnknownAction;
        var isRead = action is "read" or "playback";
        if (isRead && config.Current.Mediamtx.AnonymousRead) return MediaAccessDecision.Allow;

        var queryToken = QueryToken(request.Query);
        if (string.IsNullOrEmpty(request.User) && string.IsNullOrEmpty(request.Password) && string.IsNullOrEmpty(request.Token) && queryToken is null)
            return MediaAccessDecision.NoCredential;

        // The service's own credentials first: 256 random bits cannot be guessed, and a local process
        // failing on purpose from 127.0.0.1 must not lock out the service's publishers and recorder.
        var address = request.Ip ?? "";
        var own = action switch
        {
            "publish" => IsLoopback(address) && credentials.Publish.Matches(request.User, request.Password),
            "read" or "playback" => IsLoopback(address) && credentials.InternalRead.Matches(request.User, request.Password),
            _ => credentials.Api.Matches(request.User, request.Password),
        };
        if (own) return MediaAccessDecision.Allow;

        var client = IPAddress.TryParse(address, out var parsed) ? parsed : null;
        if (failures.IsBlocked(client)) return MediaAccessDecision.Throttled;
        // MediaMTX copies the password into token when there is no Bearer token: check each string once.
        if (isRead && (IsViewer(request.Token) || (request.Password != request.Token && IsViewer(request.Password)) || (queryToken != request.Token && IsViewer(queryToken))))
            return MediaAccessDecision.Allow;
        if (isRead && (mediaTokens.Allows(request.Token, request.Path) || mediaTokens.Allows(request.Password, request.Path) || mediaTokens.Allows(queryToken, request.Path)))
            return MediaAccessDecision.Allow;
        failures.RecordFailure(client);
        return MediaAccessDecision.Deny;
    }

    private bool IsViewer(string? credential) =>
        !string.IsNullOrEmpty(credential) && credential.Length <= MaxCredentialLength
        && authenticator.Authenticate(credential) is { Ok: true, Role: >= Role.Viewer };

    internal static bool IsLoopback(string address) =>
        IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip);

    /// <summary>token= from the query MediaMTX forwards (HLS and WebRTC pass ?token= only there).</summary>
    internal static string? QueryToken(string? query)
    {
        if (string.IsNullOrEmpty(query)) return null;
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0 && pair.AsSpan(0, eq).SequenceEqual("token"))
            {
                var value = Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
                return value.Length > 0 ? value : null;
            }
        }
        return null;
    }
}
