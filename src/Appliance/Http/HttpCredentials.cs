using System.Text;
using Appliance.Security;
using Appliance.Security.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Appliance.Http;

/// <summary>
/// The outcome of <see cref="HttpCredentials.Authenticate"/>: either <see cref="Ok"/> with the
/// accepted credential (<see cref="Auth"/>, <see cref="Role"/>), or a refusal with the status to
/// answer (401 or 429), a plain-words <see cref="Message"/>, and the <c>WWW-Authenticate</c>
/// challenges to send (<see cref="Challenges"/>; empty for 429). <see cref="WriteRefusalAsync"/>
/// writes exactly that.
/// </summary>
public sealed record HttpAuthOutcome(bool Ok, AuthResult? Auth, int Status, string Message, StringValues Challenges)
{
    /// <summary>What every 401 offers: HTTP Basic (browsers, players, Home Assistant; any user name,
    /// an API key or JWT as the password) and Bearer.</summary>
    public static readonly StringValues Unauthorized = new(["Basic realm=\"appliance\", charset=\"UTF-8\"", "Bearer"]);

    public Role Role => Auth?.Role ?? Role.None;

    /// <summary>How the request authenticated: "jwt", "api_key" or "session".</summary>
    public string Method { get; init; } = "";

    internal static HttpAuthOutcome Accepted(AuthResult auth, string method) => new(true, auth, StatusCodes.Status200OK, "", StringValues.Empty) { Method = method };
    internal static HttpAuthOutcome Refused(string message) => new(false, null, StatusCodes.Status401Unauthorized, message, Unauthorized);
    internal static HttpAuthOutcome Throttled() => new(false, null, StatusCodes.Status429TooManyRequests,
        "Authentication failed: too many failed attempts from this address; wait a minute and retry", StringValues.Empty);

    /// <summary>Writes the refusal: status, challenges (401) or Retry-After (429), a one-line text body, no caching.</summary>
    public Task WriteRefusalAsync(HttpContext context)
    {
        if (Ok) throw new InvalidOperationException("the request was authenticated: there is no refusal to write");
        var response = context.Response;
        response.StatusCode = Status;
        if (Challenges.Count > 0) response.Headers.WWWAuthenticate = Challenges;
        if (Status == StatusCodes.Status429TooManyRequests) response.Headers.RetryAfter = "60";
        response.Headers.CacheControl = "no-store";
        response.ContentType = "text/plain; charset=utf-8";
        return response.WriteAsync(Message + "\n");
    }
}

/// <summary>
/// The one reader of credentials for plain HTTP endpoints (downloads, the still image, and any
/// endpoint after them). Usage:
/// <code>
/// var auth = HttpCredentials.Authenticate(context, authenticator, authFailures, sessions);
/// if (!auth.Ok) { await auth.WriteRefusalAsync(context); return; }
/// // auth.Role is Viewer or higher here
/// </code>
/// Accepted, in this order (the first one present is the one checked; nothing falls through to the next):
/// <list type="number">
/// <item><c>Authorization: Bearer &lt;JWT or API key&gt;</c></item>
/// <item><c>Authorization: Basic</c> with any user name and a JWT or API key as the password
///   (browsers' login prompt, video players, Home Assistant's generic camera)</item>
/// <item><c>X-API-Key: &lt;key&gt;</c></item>
/// <item>the console session cookie <c>appliance_session</c> (SameSite=Strict keeps other sites'
///   pages from sending it; these endpoints only read, so no Origin check is needed here)</item>
/// </list>
/// A wrong credential answers 401 and counts against the client address's
/// <see cref="AuthFailureThrottle"/> (the same budget as authenticate); while the address is over
/// its budget the answer is 429 without the credential being looked at. A missing credential is a
/// plain 401 (browsers and players ask first, then retry with one), and so is an unknown or
/// expired session cookie, which is not counted: a 256-bit id cannot be guessed, and a browser
/// holding a stale cookie must not lock its user out. Media tokens (get_stream_token) are never
/// accepted here: <see cref="Authenticator"/> does not know them.
/// </summary>
public static class HttpCredentials
{
    /// <summary>Credentials longer than this are neither a JWT of ours nor an API key.</summary>
    private const int MaxCredentialLength = 4096;

    public static HttpAuthOutcome Authenticate(HttpContext context, Authenticator authenticator, AuthFailureThrottle failures, ConsoleSessions sessions)
    {
        var headers = context.Request.Headers;
        string? token = null;
        var authType = "auto";
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = authorization[7..].Trim();
        else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (BasicPassword(authorization[6..].Trim()) is not { } password)
                return HttpAuthOutcome.Refused("Authentication failed: the Basic credentials are not base64 of user:password");
            token = password;
        }
        else if (headers.TryGetValue("X-API-Key", out var key)) { token = key.ToString().Trim(); authType = "api_key"; }
        else if (SessionCookie.Read(context) is { } sessionId)
        {
            return sessions.Find(sessionId, out var session) switch
            {
                SessionLookup.Live => HttpAuthOutcome.Accepted(session!.Auth, "session"),
                SessionLookup.Expired => HttpAuthOutcome.Refused("Authentication required: the session has expired; log in again"),
                _ => HttpAuthOutcome.Refused("Authentication required: the session is not known (logged out, or the service restarted); log in again"),
            };
        }

        if (string.IsNullOrEmpty(token))
            return HttpAuthOutcome.Refused("Authentication required: send Authorization: Bearer <token>, X-API-Key: <key>, HTTP Basic with an API key or token as the password, or the session cookie");
        var remote = context.Connection.RemoteIpAddress;
        if (failures.IsBlocked(remote)) return HttpAuthOutcome.Throttled();
        var result = token.Length > MaxCredentialLength ? AuthResult.Fail("credential too long") : authenticator.Authenticate(token, authType);
        if (!result.Ok || result.Role < Role.Viewer)
        {
            failures.RecordFailure(remote);
            return HttpAuthOutcome.Refused($"Authentication failed: {result.Error ?? "no role"}");
        }
        return HttpAuthOutcome.Accepted(result, result.Method);
    }

    /// <summary>The password of <c>Basic base64(user:password)</c>; the user name is not used.</summary>
    private static string? BasicPassword(string encoded)
    {
        if (encoded.Length > MaxCredentialLength * 2) return null;
        byte[] bytes;
        try { bytes = Convert.FromBase64String(encoded); }
        catch (FormatException) { return null; }
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
        var colon = text.IndexOf(':');
        return colon < 0 ? null : text[(colon + 1)..];
    }
}
