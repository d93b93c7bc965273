using System.Text.RegularExpressions;

namespace Appliance.Processes;

/// <summary>
/// Hides "user:password@" in URLs before text reaches a log or an API error: FFmpeg command lines
/// and FFmpeg's own messages carry the internal RTSP URL with the service's MediaMTX credential.
/// </summary>
public static partial class UrlCredentialRedaction
{
    public static string Redact(string text) =>
        text.Contains('@') ? UserInfo().Replace(text, "${scheme}***@") : text;

    // scheme://userinfo@ where userinfo has no '/', '@' or white space.
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s]+@")]
    private static partial Regex UserInfo();
}
