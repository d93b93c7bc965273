using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Tests.Support;

/// <summary>Builds a JWT by hand with the RFC's steps (any header, any claims, any key, HS256 or HS512),
/// so tests do not trust the code under test to sign.</summary>
public static class HandMadeJwt
{
    public static string Make(string headerJson, string payloadJson, string secret, bool hs512 = false)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        var key = Encoding.UTF8.GetBytes(secret);
        var data = Encoding.ASCII.GetBytes(input);
        var sig = hs512 ? HMACSHA512.HashData(key, data) : HMACSHA256.HashData(key, data);
        return input + "." + Base64Url.EncodeToString(sig);
    }

    /// <summary>An unsigned token ("alg":"none"): header.payload. with an empty signature.</summary>
    public static string Unsigned(string headerJson, string payloadJson) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson)) + ".";

    public static string Claims(string role, long iat, long exp, long? nbf = null, string user = "u1") =>
        $$"""{"user_id":"{{user}}","role":"{{role}}","iat":{{iat}},"exp":{{exp}}{{(nbf is { } n ? $",\"nbf\":{n}" : "")}}}""";
}
