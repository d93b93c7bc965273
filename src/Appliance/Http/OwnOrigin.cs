using Microsoft.AspNetCore.Http;

namespace Appliance.Http;

/// <summary>
/// The CSRF rule for cookie-authenticated requests: cookies are sent by the browser whatever page
/// made the request (and are not port-scoped, so a page on the same host but another port counts as
/// foreign too), but a browser always says which page did in <c>Origin</c>. Our own origin is the
/// request's scheme plus its Host header, which is exactly what a browser puts in Origin for a page
/// this server served.
/// </summary>
public static class OwnOrigin
{
    /// <summary>scheme://host[:port] of this request, as a browser would write it in Origin.</summary>
    public static string Of(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host.Value}";

    /// <summary>True when the request carries an Origin header that is this server's own origin.</summary>
    public static bool IsOwn(HttpContext context)
    {
        var origin = context.Request.Headers.Origin;
        return origin.Count == 1 && string.Equals(origin[0], Of(context), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True when an Origin header is present and is not ours (a missing Origin is not foreign:
    /// non-browser clients send none, and browsers always send one on POST and DELETE).</summary>
    public static bool IsForeign(HttpContext context) =>
        context.Request.Headers.Origin.Count > 0 && !IsOwn(context);
}
