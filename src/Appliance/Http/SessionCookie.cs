using Appliance.Security.Sessions;
using Microsoft.AspNetCore.Http;

namespace Appliance.Http;

/// <summary>
/// The console session cookie, <c>appliance_session</c>: <c>Path=/; HttpOnly; SameSite=Strict</c>,
/// plus <c>Secure</c> when the request came over TLS (a cookie set over plain HTTP must not be marked
/// Secure, or the browser would drop it). Max-Age matches the session, so a browser stops sending
/// it when the session is over. Written by hand so the header is exactly what docs/security.md says.
/// </summary>
public static class SessionCookie
{
    public const string Name = "appliance_session";

    /// <summary>The cookie's value from the request, or null.</summary>
    public static string? Read(HttpContext context) =>
        context.Request.Cookies.TryGetValue(Name, out var value) && value.Length > 0 ? value : null;

    public static void Set(HttpContext context, ConsoleSession session, TimeSpan maxAge) =>
        context.Response.Headers.Append("Set-Cookie",
            $"{Name}={session.Id}; Path=/; Max-Age={(long)Math.Max(0, Math.Floor(maxAge.TotalSeconds))}; HttpOnly; SameSite=Strict{Secure(context)}");

    /// <summary>Tells the browser to forget the cookie (Max-Age=0).</summary>
    public static void Clear(HttpContext context) =>
        context.Response.Headers.Append("Set-Cookie", $"{Name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{Secure(context)}");

    private static string Secure(HttpContext context) => context.Request.IsHttps ? "; Secure" : "";
}
