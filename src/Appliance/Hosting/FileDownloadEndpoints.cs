using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Appliance.Http;
using Appliance.Security;
using Appliance.Security.Sessions;
using Appliance.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Microsoft.Win32.SafeHandles;

namespace Appliance.Hosting;

/// <summary>
/// <c>GET|HEAD /files/recordings/{filename}</c> and <c>/files/snapshots/{filename}</c>: the
/// download_url of every file entry. Any role (viewer and up), with any credential
/// <see cref="HttpCredentials"/> reads (Bearer, X-API-Key, HTTP Basic, the session cookie); 401 otherwise. A bad name is 400 and an unknown
/// one 404, each with a one-line text body. Range (a single range: 206 + Content-Range; 416 when
/// unsatisfiable), ETag / Last-Modified and If-None-Match / If-Modified-Since / If-Range (304) are
/// ASP.NET Core's own (Results.File with range processing), which is AOT-clean.
/// </summary>
public static class FileDownloadEndpoints
{
    public static void Map(IEndpointRouteBuilder app, FileCatalog catalog, Authenticator authenticator, AuthFailureThrottle failures, ConsoleSessions sessions)
    {
        foreach (var kind in new[] { MediaKind.Recording, MediaKind.Snapshot })
        {
            app.MapMethods($"/files/{MediaKinds.UrlSegment(kind)}/{{filename}}", [HttpMethods.Get, HttpMethods.Head],
                (RequestDelegate)(context => ServeAsync(context, kind, catalog, authenticator, failures, sessions)));
        }
    }

    private static Task ServeAsync(HttpContext context, MediaKind kind, FileCatalog catalog, Authenticator authenticator, AuthFailureThrottle failures,
        ConsoleSessions sessions)
    {
        var auth = HttpCredentials.Authenticate(context, authenticator, failures, sessions);
        if (!auth.Ok) return auth.WriteRefusalAsync(context);

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
