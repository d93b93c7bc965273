using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Security;

/// <summary>
/// HS256 JSON Web Tokens with the contract's claims (user_id, role, iat, exp).
/// Written against the RFC rather than taken from Microsoft.IdentityModel: the appliance needs
/// exactly one pinned algorithm, and this keeps the AOT binary small and reflection-free.
/// The algorithm is pinned: a token whose header says anything but HS256 (including "none")
/// is refused before its signature is even looked at.
/// </summary>
public sealed class JwtAuthority(Func<string> secret, TimeProvider? time = null)
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Mint(string userId, Role role, TimeSpan lifetime)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new JwtHeader { Alg = "HS256", Typ = "JWT" }, SecurityJsonContext.Default.JwtHeader);
        var claims = JsonSerializer.SerializeToUtf8Bytes(new JwtClaims
        {
            UserId = userId, Role = Roles.Name(role), Iat = now, Exp = now + (long)lifetime.TotalSeconds,
        }, SecurityJsonContext.Default.JwtClaims);
        var signingInput = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        return signingInput + "." + Base64Url.EncodeToString(Sign(signingInput));
    }

    public AuthResult Validate(string token)
    {
        var key = secret();
        if (string.IsNullOrEmpty(key)) return AuthResult.Fail("JWT authentication is not configured (no secret)");
        var parts = token.Split('.');
        if (parts.Length != 3) return AuthResult.Fail("malformed token");
        try
        {
            var header = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[0]), SecurityJsonContext.Default.JwtHeader);
            if (header?.Alg != "HS256") return AuthResult.Fail("unsupported token algorithm");
            var expected = Sign(parts[0] + "." + parts[1]);
            var given = Base64Url.DecodeFromChars(parts[2]);
            if (!CryptographicOperations.FixedTimeEquals(expected, given)) return AuthResult.Fail("invalid token signature");
            var claims = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(parts[1]), SecurityJsonContext.Default.JwtClaims);
            if (claims is null || claims.Exp is null || claims.Iat is null || string.IsNullOrEmpty(claims.UserId))
                return AuthResult.Fail("token lacks user_id, iat or exp");
            if (!Roles.TryParse(claims.Role, out var role)) return AuthResult.Fail($"token has an unknown role '{claims.Role}'");
            var now = _time.GetUtcNow();
            var exp = DateTimeOffset.FromUnixTimeSeconds(claims.Exp.Value);
            if (exp + ClockSkew < now) return AuthResult.Fail("token expired");
            if (DateTimeOffset.FromUnixTimeSeconds(claims.Iat.Value) - ClockSkew > now) return AuthResult.Fail("token issued in the future");
            return AuthResult.Success(role, claims.UserId, exp, "jwt");
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return AuthResult.Fail("malformed token");
        }
    }

    private byte[] Sign(string signingInput) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret()), Encoding.ASCII.GetBytes(signingInput));
}

/// <summary>The outcome of checking a credential.</summary>
public sealed record AuthResult(bool Ok, Role Role, string UserId, DateTimeOffset? ExpiresAt, string Method, string? Error)
{
    public static AuthResult Success(Role role, string userId, DateTimeOffset? expiresAt, string method) => new(true, role, userId, expiresAt, method, null);
    public static AuthResult Fail(string error) => new(false, Role.None, "", null, "", error);
}
