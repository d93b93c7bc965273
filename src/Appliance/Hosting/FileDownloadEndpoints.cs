using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Security;
using Appliance.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Hosting;

/// <summary>
/// <c>GET|HEAD /files/recordings/{filename}</c> and <c>/files/snapshots/{filename}</c>: the
/// download_url of every file entry. Any role (viewer and up) with <c>Authorization: Bearer
/// &lt;jwt&gt;</c>, <c>X-API-Key: &lt;key&gt;</c> or HTTP Basic (an API key or JWT as the password); 401 otherwise. A bad name is 400 and an unknown
/// one 404, each with a one-line text body. Range (a single range: 206 + Content-Range; 416 when
/// unsatisfiable), ETag / Last-Modified and If-None-Match / If-Modified-Since / If-Range (304) are
/// ASP.NET Core's own (Results.File with range processing), which is AOT-clean.
/// </summary>
public static class FileDownloadEndpoints
{
    public static void Map(IEndpointRouteBuilder app, FileCatalog catalog, Authenticator authenticator, AuthFailureThrottle failures)
    {
        foreach (var kind in new[] { MediaKind.Recording, MediaKind.Snapshot })
        {
            app.MapMethods($"/files/{MediaKinds.UrlSegment(kind)}/{{filename}}", [HttpMethods.Get, HttpMethods.Head],
                (RequestDelegate)(context => ServeAsync(context, kind, catalog, authenticator, failures)));
        }
    }

    private static Task ServeAsync(HttpContext context, MediaKind kind, FileCatalog catalog, Authenticator authenticator, AuthFailureThrottle failures)
    {
        var decision = Authenticate(context, authenticator, failures);
        if (!decision.Allowed)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Text(context, decision.Status, decision.Message);
        }

        var name = context.Request.RouteValues["filename"] as string;
        // Kestrel decodes every %XX in the path except %2F, so that an encoded '/' cannot split a
        // segment: a name still holding %2F (or %5C) was an encoded separator, never a bare name.
        if (name is not null && (name.Contains("%2F", StringComparison.OrdinalIgnoreCase) || name.Contains("%5C", StringComparison.OrdinalIgnoreCase)))
            return Text(context, StatusCodes.Status400BadRequest, "'filename' must be a bare file name, without '/' or '\\'");
        // Kestrel also leaves escapes of bytes that do not decode as UTF-8 (%ED%A0%80, a lone surrogate):
        // such a name is no text, not a name to look up.
        if (name is not null && HasUndecodedByte(name))
            return Text(context, StatusCodes.Status400BadRequest, "'filename' is not valid UTF-8");

        var lookup = catalog.Find(kind, name);
        if (lookup.Status == LookupStatus.InvalidName) return Text(context, StatusCodes.Status400BadRequest, lookup.Message);
        if (lookup.File is not { } file) return Text(context, StatusCodes.Status404NotFound, lookup.Message);

        // Open what was checked, and only that: O_NONBLOCK so that something swapped in for a FIFO
        // cannot hang the request, then fstat the descriptor and insist on the same regular file
        // (device + inode) that was looked at without following links.
        var fd = StorageNative.Open(file.FullPath, StorageNative.ORdOnly | StorageNative.OCloExec | StorageNative.ONonBlock);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == StorageNative.ENoEnt
                ? Text(context, StatusCodes.Status404NotFound, $"{MediaKinds.Label(kind)} not found: {file.Name}")
                : Text(context, StatusCodes.Status500InternalServerError, $"cannot open {file.Name}: {StorageNative.Describe(errno)}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileStat opened;
        try
        {
            opened = FileStat.Of(handle);
        }
        catch (IOException ex)
        {
            handle.Dispose();
            return Text(context, StatusCodes.Status500InternalServerError, ex.Message);
        }
        if (!opened.IsRegular || opened.Inode != file.Stat.Inode || opened.Device != file.Stat.Device)
        {
            handle.Dispose();
            return Text(context, StatusCodes.Status404NotFound, $"{MediaKinds.Label(kind)} not found: {file.Name}");
        }

        var headers = context.Response.Headers;
        headers.ContentDisposition = ContentDisposition(file.Name);
        headers.CacheControl = "private, no-cache";
        headers.XContentTypeOptions = "nosniff";
        // The stream is disposed by the result once written (or once a 304/416 was sent).
        var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        var etag = new EntityTagHeaderValue(string.Create(CultureInfo.InvariantCulture,
            $"\"{opened.Inode:x}-{opened.Size:x}-{opened.Modified.UtcTicks:x}\""));
        return Results.File(stream, MediaKinds.ContentType(file.Name), fileDownloadName: null,
            lastModified: opened.Modified, entityTag: etag, enableRangeProcessing: true).ExecuteAsync(context);
    }

    /// <summary>
    /// Whether the request carries a valid credential of at least <paramref name="minimum"/>:
    /// <c>Authorization: Bearer &lt;jwt&gt;</c>, <c>X-API-Key: &lt;key&gt;</c>, or HTTP Basic with any
    /// user name and an API key or JWT as the password (what Home Assistant's generic camera and
    /// most players send). The still-image endpoint uses it too.
    /// </summary>
    // A missing credential is a plain 401 (browsers and players ask first, then retry with one);
    // a wrong one counts against the address's failure budget like a failed authenticate.
    internal static HttpAuthDecision Authenticate(HttpContext context, Authenticator authenticator, AuthFailureThrottle failures, Role minimum = Role.Viewer)
    {
        string? token = null;
        var authType = "auto";
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) { token = authorization[7..].Trim(); authType = "jwt"; }
        else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            if (BasicPassword(authorization.AsSpan(6).Trim()) is not { } password)
                return HttpAuthDecision.Refuse("Authentication failed: the Basic credentials are not base64 of user:password");
            token = password;
        }
        else if (context.Request.Headers.TryGetValue("X-API-Key", out var key)) { token = key.ToString().Trim(); authType = "api_key"; }
        if (string.IsNullOrEmpty(token))
            return HttpAuthDecision.Refuse("Authentication required: send Authorization: Bearer <jwt>, X-API-Key: <key>, or HTTP Basic with an API key or JWT as the password");
        var remote = context.Connection.RemoteIpAddress;
        if (failures.IsBlocked(remote)) return HttpAuthDecision.Refuse("Authentication failed: too many failed attempts; wait a minute and retry");
        var result = authenticator.Authenticate(token, authType);
        if (!result.Ok)
        {
            failures.RecordFailure(remote);
            return HttpAuthDecision.Refuse($"Authentication failed: {result.Error}");
        }
        if (result.Role < minimum)
            return HttpAuthDecision.Refuse($"Permission denied: {Roles.Name(minimum)} role required", StatusCodes.Status403Forbidden);
        return HttpAuthDecision.Allow;
    }

    // "Basic base64(user:password)": the password (the user name is anything). Null when malformed.
    // The header is at most Kestrel's 16 KiB header limit, so the decoded copy is bounded too.
    private static string? BasicPassword(ReadOnlySpan<char> encoded)
    {
        var bytes = new byte[(encoded.Length * 3 + 3) / 4];
        if (!Convert.TryFromBase64Chars(encoded, bytes, out var length)) return null;
        string text;
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var colon = text.IndexOf(':');
        return colon < 0 ? null : text[(colon + 1)..].Trim();
    }

    private static bool HasUndecodedByte(string name)
    {
        for (var i = name.IndexOf('%'); i >= 0 && i + 2 < name.Length; i = name.IndexOf('%', i + 1))
            if (char.IsAsciiHexDigit(name[i + 1]) && char.IsAsciiHexDigit(name[i + 2]) && Convert.ToInt32(name.Substring(i + 1, 2), 16) >= 0x80)
                return true;
        return false;
    }

    /// <summary>RFC 6266: <c>attachment; filename="x.mp4"</c>, plus <c>filename*</c> (UTF-8) when the name is not plain ASCII.</summary>
    internal static string ContentDisposition(string name)
    {
        var ascii = new StringBuilder(name.Length + 24);
        var plain = true;
        foreach (var c in name)
        {
            if (c is '"' or '\\') ascii.Append('\\').Append(c);
            else if (c is >= ' ' and < (char)127) ascii.Append(c);
            else { ascii.Append('_'); plain = false; }
        }
        var value = $"attachment; filename=\"{ascii}\"";
        return plain ? value : $"{value}; filename*=UTF-8''{Uri.EscapeDataString(name)}";
    }

    private static Task Text(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(message + "\n");
    }
}
