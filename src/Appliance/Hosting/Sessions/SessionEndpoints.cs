using System.Globalization;
using System.Text.Json;
using Appliance.Http;
using Appliance.Security;
using Appliance.Security.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting.Sessions;

/// <summary>
/// <c>POST|GET|DELETE /api/session</c>: trade a JWT or API key for a short-lived session cookie
/// (so that <c>&lt;img&gt;</c>, <c>&lt;video&gt;</c>, download links and the WebSocket work
/// without the login credential in any URL), see the session, end it. A documented HTTP API, not
/// the console's private door: any client may use it. CSRF: POST and DELETE refuse a foreign
/// <c>Origin</c> (403), POST insists on <c>application/json</c> (which a cross-site form cannot send
/// without a CORS preflight we never answer), and the cookie is SameSite=Strict.
/// </summary>
public sealed class SessionEndpoints(Authenticator authenticator, AuthFailureThrottle failures, ConsoleSessions sessions, ILogger<SessionEndpoints> log)
{
    public const string Path = "/api/session";

    /// <summary>A login body is a credential of a few hundred bytes; 8 KiB is plenty and bounds what an anonymous client can send.</summary>
    public const int MaxBodyBytes = 8 * 1024;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost(Path, (RequestDelegate)LoginAsync);
        app.MapGet(Path, (RequestDelegate)ShowAsync);
        app.MapDelete(Path, (RequestDelegate)LogoutAsync);
    }

    private async Task LoginAsync(HttpContext context)
    {
        if (OwnOrigin.IsForeign(context))
        {
            await Error(context, StatusCodes.Status403Forbidden, $"login refused: the request comes from {context.Request.Headers.Origin}, not from this server ({OwnOrigin.Of(context)})");
            return;
        }
        if (!IsJson(context.Request.ContentType))
        {
            await Error(context, StatusCodes.Status415UnsupportedMediaType, "send the login as Content-Type: application/json, body {\"token\":\"<JWT or API key>\"}");
            return;
        }
        if (await BoundedBody.ReadAsync(context, MaxBodyBytes) is not { } body)
        {
            await Error(context, StatusCodes.Status413PayloadTooLarge, $"the login body is larger than {MaxBodyBytes} bytes");
            return;
        }
        if (ParseLogin(body, out var token, out var authType) is { } problem)
        {
            await Error(context, StatusCodes.Status400BadRequest, problem);
            return;
        }

        var remote = context.Connection.RemoteIpAddress;
        if (failures.IsBlocked(remote))
        {
            context.Response.Headers.RetryAfter = "60";
            await Error(context, StatusCodes.Status429TooManyRequests, "too many failed logins from this address; wait a minute and retry");
            return;
        }
        var result = authenticator.Authenticate(token, authType);
        if (!result.Ok || result.Role < Role.Viewer)
        {
            failures.RecordFailure(remote);
            log.LogInformation("Login from {Remote} refused: {Reason}", remote, result.Error);
            await Error(context, StatusCodes.Status401Unauthorized, $"login failed: {result.Error ?? "no role"}");
            return;
        }

        // Logging in again replaces the session this browser had, rather than leaving it to expire.
        sessions.End(SessionCookie.Read(context));
        var session = sessions.Create(result);
        log.LogInformation("Login of {User} ({Role}) from {Remote}: session until {Expires:u}", session.UserId, Roles.Name(session.Role), remote, session.ExpiresAt);
        SessionCookie.Set(context, session, session.ExpiresAt - sessions.Now);
        await Describe(context, session);
    }

    private Task ShowAsync(HttpContext context) =>
        sessions.Find(SessionCookie.Read(context), out var session) switch
        {
            SessionLookup.Live => Describe(context, session!),
            SessionLookup.Expired => Error(context, StatusCodes.Status401Unauthorized, "session expired"),
            _ => Error(context, StatusCodes.Status401Unauthorized, "no session"),
        };

    private Task LogoutAsync(HttpContext context)
    {
        if (OwnOrigin.IsForeign(context))
            return Error(context, StatusCodes.Status403Forbidden, $"logout refused: the request comes from {context.Request.Headers.Origin}, not from this server ({OwnOrigin.Of(context)})");
        // Ending the session also closes the WebSockets bound to it (ConsoleSessions.Ended, wired by the host).
        sessions.End(SessionCookie.Read(context));
        SessionCookie.Clear(context);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>null when the body is {"token": "...", "auth_type"?: "jwt"|"api_key"|"auto"}, else what is wrong with it.</summary>
    internal static string? ParseLogin(ReadOnlyMemory<byte> body, out string token, out string authType)
    {
        token = "";
        authType = "auto";
        JsonDocument document;
        try { document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 }); }
        catch (JsonException) { return "the body is not valid JSON"; }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "the body must be a JSON object: {\"token\":\"<JWT or API key>\"}";
            if (!root.TryGetProperty("token", out var t) || t.ValueKind != JsonValueKind.String || t.GetString() is not { Length: > 0 } value)
                return "'token' is required: a JWT or an API key, as a string";
            token = value;
            if (root.TryGetProperty("auth_type", out var a) && a.ValueKind != JsonValueKind.Null)
            {
                if (a.ValueKind != JsonValueKind.String || a.GetString() is not ("jwt" or "api_key" or "auto"))
                    return "'auth_type' must be one of jwt, api_key, auto";
                authType = a.GetString()!;
            }
            return null;
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return false;
        var semicolon = contentType.IndexOf(';');
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
    }


    private Task Describe(HttpContext context, ConsoleSession session)
    {
        var remaining = Math.Max(0, (long)Math.Floor((session.ExpiresAt - sessions.Now).TotalSeconds));
        return Json(context, StatusCodes.Status200OK, w =>
        {
            w.WriteBoolean("authenticated", true);
            w.WriteString("role", Roles.Name(session.Role));
            w.WriteString("user_id", session.UserId);
            w.WriteString("expires_at", session.ExpiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteNumber("expires_in", remaining);
        });
    }

    private static Task Error(HttpContext context, int status, string message) =>
        Json(context, status, w => w.WriteString("error", message));

    private static async Task Json(HttpContext context, int status, Action<Utf8JsonWriter> body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
