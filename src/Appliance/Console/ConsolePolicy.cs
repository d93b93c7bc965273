using Appliance.Configuration;
using Appliance.MediaMtx.Streams;

namespace Appliance.WebConsole;

/// <summary>
/// The console's Content-Security-Policy. Everything comes from the page's own origin except live
/// media, which MediaMTX serves on its own ports: its HLS and WebRTC origins are allowed for fetch
/// (WHEP's POST) and media elements, computed exactly as the stream URLs the API hands out are
/// (<see cref="StreamUrls"/>: server.public_host, else the host the browser used). No inline script
/// or style, no plugins, no framing, forms only to this origin.
/// </summary>
public static class ConsolePolicy
{
    public static string For(string requestHost, ApplianceConfig config)
    {
        var media = MediaOrigins(SafeHost(requestHost), config);
        return "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
               $"connect-src 'self' {media}; media-src 'self' blob: {media}; img-src 'self' blob: data:; " +
               "frame-ancestors 'none'";
    }

    /// <summary>"http://host:8888 http://host:8889" (https with mediamtx.media_tls).</summary>
    internal static string MediaOrigins(string host, ApplianceConfig config)
    {
        var urls = StreamUrls.For("x", host, config);
        return $"{Origin(urls.Hls)} {Origin(urls.Webrtc)}";
    }

    private static string Origin(string url) => new Uri(url).GetLeftPart(UriPartial.Authority);

    /// <summary>The Host header's name, if it is one a URL can carry (Kestrel already refuses
    /// control characters); anything else yields "" and the policy falls back to the configured host.</summary>
    internal static string SafeHost(string host)
    {
        if (host.Length is 0 or > 253) return "";
        foreach (var c in host)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')) return "";
        if (host[0] != '[') return host;
        return host.Length > 2 && host[^1] == ']' ? host[1..^1] : ""; // StreamUrls adds the brackets of an IPv6 literal again
    }

    /// <summary>If-None-Match against a strong ETag, by the weak comparison RFC 9110 prescribes for it.</summary>
    public static bool Matches(string ifNoneMatch, string etag)
    {
        if (ifNoneMatch.Length == 0) return false;
        foreach (var candidate in ifNoneMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate == "*") return true;
            var tag = candidate.StartsWith("W/", StringComparison.Ordinal) ? candidate[2..] : candidate;
            if (tag == etag) return true;
        }
        return false;
    }
}
