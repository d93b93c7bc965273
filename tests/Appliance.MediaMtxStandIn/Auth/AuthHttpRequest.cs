using System.Text;
using System.Text.Json.Nodes;
using System.Web;

namespace Appliance.Testing.MediaMtx.Auth;

/// <summary>
/// What MediaMTX (v1.20.1, authMethod: http) knows about a request when it asks the auth server,
/// and the JSON body it POSTs (internal/auth/manager.go, authenticateHTTP). The token field
/// follows MediaMTX's getToken: the Bearer token if any, else the password, else (RTSP and RTMP
/// only) the query's token= (or legacy jwt=); for HLS/WebRTC a ?token= stays in the query.
/// </summary>
public sealed record AuthHttpRequest(string Action, string Ip, string User = "", string Password = "", string Token = "",
    string Path = "", string Protocol = "", Guid? Id = null, string Query = "", string UserAgent = "")
{
    /// <summary>MediaMTX asks the client for credentials (401 with a challenge) when it sent none.</summary>
    public bool HasNoCredentials => User.Length == 0 && Password.Length == 0 && EffectiveToken.Length == 0;

    public string EffectiveToken
    {
        get
        {
            if (Token.Length > 0) return Token;
            if (Password.Length > 0) return Password;
            if (Protocol is "rtsp" or "rtmp")
            {
                var query = HttpUtility.ParseQueryString(Query);
                if (query.GetValues("token") is [var token]) return token;
                if (query.GetValues("jwt") is [var jwt]) return jwt;
            }
            return "";
        }
    }

    public string ToJson() => new JsonObject
    {
        ["ip"] = Ip, ["user"] = User, ["password"] = Password, ["token"] = EffectiveToken, ["action"] = Action, ["path"] = Path,
        ["protocol"] = Protocol, ["id"] = Id?.ToString(), ["query"] = Query, ["userAgent"] = UserAgent,
    }.ToJsonString();

    /// <summary>Credentials from an HTTP request's Authorization header, as MediaMTX's httpp.Credentials
    /// reads them: "Bearer user:pass" (exactly one colon) is a user and password, another Bearer value a
    /// token, else HTTP Basic.</summary>
    public static (string User, string Password, string Token) FromAuthorization(IEnumerable<string> headers)
    {
        var all = headers.ToList();
        foreach (var header in all)
        {
            if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) continue;
            var value = header["Bearer ".Length..];
            var parts = value.Split(':');
            return parts.Length == 2 ? (parts[0], parts[1], "") : ("", "", value);
        }
        var basic = all.FirstOrDefault(h => h.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase));
        if (basic is null) return ("", "", "");
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(basic[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? ("", "", "") : (decoded[..colon], decoded[(colon + 1)..], "");
        }
        catch (FormatException) { return ("", "", ""); }
    }
}
