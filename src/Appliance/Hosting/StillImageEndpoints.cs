using System.Globalization;
using Appliance.Cameras;
using Appliance.Http;
using Appliance.Media.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace Appliance.Hosting;

/// <summary>
/// <c>GET|HEAD /api/cameras/{id}/snapshot.jpg</c> and <c>.png</c>: a still image straight from
/// memory (<see cref="StillCapture"/>; no file is written), for a live-view fallback or a
/// home-automation camera card. <c>{id}</c> is the camera id as the API uses it (<c>camera0</c>,
/// <c>virtual0</c>) or a URL-encoded device path (<c>%2Fdev%2Fvideo0</c>). Query: <c>width</c>,
/// <c>height</c> (16..3840, a bound the image shrinks to fit, never enlarged), <c>quality</c>
/// (1..100, jpg only). Who may ask is decided by the delegate given to <see cref="Map"/>: never
/// anonymous. Every answer is <c>Cache-Control: no-store</c>: each request wants the picture of now.
/// </summary>
public static class StillImageEndpoints
{
    /// <summary>The challenge sent with 401: Basic, so a browser or Home Assistant knows what to send.</summary>

    public const int MinSize = 16, MaxSize = 3840;

    // Longest {id} looked up: a device path or a camera id is far shorter.
    private const int MaxIdLength = 256;

    public static void Map(IEndpointRouteBuilder app, CameraRegistry cameras, StillCapture stills, Func<HttpContext, HttpAuthOutcome> authenticate)
    {
        foreach (var format in new[] { "jpg", "png" })
        {
            app.MapMethods($"/api/cameras/{{id}}/snapshot.{format}", [HttpMethods.Get, HttpMethods.Head],
                (RequestDelegate)(context => ServeAsync(context, format, cameras, stills, authenticate)));
        }
    }

    private static async Task ServeAsync(HttpContext context, string format, CameraRegistry cameras, StillCapture stills,
        Func<HttpContext, HttpAuthOutcome> authenticate)
    {
        var auth = authenticate(context);
        if (!auth.Ok)
        {
            await auth.WriteRefusalAsync(context);
            return;
        }

        var query = context.Request.Query;
        if (Bounded(query, "width", MinSize, MaxSize, out var width) is { } widthProblem) { await Text(context, StatusCodes.Status400BadRequest, widthProblem); return; }
        if (Bounded(query, "height", MinSize, MaxSize, out var height) is { } heightProblem) { await Text(context, StatusCodes.Status400BadRequest, heightProblem); return; }
        // Checked for png too (a typo is a typo), but only jpg has a quality.
        if (Bounded(query, "quality", 1, 100, out var quality) is { } qualityProblem) { await Text(context, StatusCodes.Status400BadRequest, qualityProblem); return; }

        var raw = context.Request.RouteValues["id"] as string ?? "";
        if (raw.Length > MaxIdLength) { await Text(context, StatusCodes.Status400BadRequest, $"'id' is longer than {MaxIdLength} characters"); return; }
        // Kestrel decodes the path except %2F (so an encoded '/' cannot split a segment): a device path arrives still encoded.
        var id = Uri.UnescapeDataString(raw);
        var camera = cameras.Find(id);
        if (camera is null) { await Text(context, StatusCodes.Status404NotFound, $"Camera not found: {id}"); return; }
        if (!camera.IsConnected)
        {
            await Text(context, StatusCodes.Status503ServiceUnavailable,
                $"Camera {camera.Device} is {Camera.StatusName(camera.Status)}" + (camera.Error is { } e ? $": {e}" : ""));
            return;
        }

        StillImageLease lease;
        try
        {
            lease = await stills.CaptureAsync(camera, new StillRequest(format, quality, width, height), context.RequestAborted);
        }
        catch (StillCaptureException ex)
        {
            if (ex.Busy) context.Response.Headers.RetryAfter = "1";
            await Text(context, StatusCodes.Status503ServiceUnavailable, $"No still image of {camera.Device}: {ex.Message}");
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }

        using (lease)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = format == "png" ? "image/png" : "image/jpeg";
            response.ContentLength = lease.Image.Length;
            response.Headers.CacheControl = "no-store";
            response.Headers.XContentTypeOptions = "nosniff";
            if (HttpMethods.IsHead(context.Request.Method)) return;
            try
            {
                await response.Body.WriteAsync(lease.Bytes, context.RequestAborted);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client went away mid-image: nothing to tell it.
            }
        }
    }

    /// <summary>Null when <paramref name="name"/> is absent (value null) or a whole number in range; else the problem in words.</summary>
    private static string? Bounded(IQueryCollection query, string name, int min, int max, out int? value)
    {
        value = null;
        if (!query.TryGetValue(name, out StringValues given)) return null;
        if (given.Count != 1) return $"'{name}' is given {given.Count} times; give it once";
        if (!int.TryParse(given[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
            return $"'{name}' must be a whole number from {min} to {max}, not '{Clip(given[0])}'";
        value = n;
        return null;
    }

    private static string Clip(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";

    private static Task Text(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.WriteAsync(message + "\n");
    }
}
