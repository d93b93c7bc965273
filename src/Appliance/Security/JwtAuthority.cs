using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Security;

/// <summary>
/// HS256 JSON Web Tokens with the contract's claims (user_id, role, iat, exp; nbf honoured when present).
/// Written against the RFC rather than taken from Microsoft.IdentityModel: the appliance needs
/// exactly one pinned algorithm, and this keeps the AOT binary small and reflection-free.
/// The algorithm is pinned: a token whose header says anything but HS256 (including "none")
/// is refused before its signature is even looked at. A token may live at most
/// <c>security.max_token_lifetime</c> (exp - iat), so a leaked token cannot be good for years.
/// Time comes from <see cref="TrustedClock"/>: see there for a box whose clock is not set yet.
/// </summary>
public sealed class JwtAuthority(Func<string> secret, TimeProvider? time = null, Func<TimeSpan>? maxLifetime = null, TrustedClock? clock = null)
{
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromDays(30);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly TrustedClock _clock = clock ?? new TrustedClock(time);
    private readonly Func<TimeSpan> _maxLifetime = maxLifetime ?? (() => DefaultMaxLifetime);

    public TimeSpan MaxLifetime => _maxLifetime();

    public string Mint(string userId, Role role, TimeSpan lifetime)
    {
        if (lifetime > _maxLifetime())
            throw new ArgumentOutOfRangeException(nameof(lifetime), $"a token may live at most {_maxLifetime().TotalHours:0.##} hours (security.max_token_lifetime)");
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
            var exp = DateTimeOffset.FromUnixTimeSeconds(claims.Exp.Value);
            var iat = DateTimeOffset.FromUnixTimeSeconds(claims.Iat.Value);
            if (exp - iat > _maxLifetime()) return AuthResult.Fail("token lifetime exceeds security.max_token_lifetime");
            var (now, trusted) = _clock.Read();
            if (exp + ClockSkew < now) return AuthResult.Fail("token expired");
            if (trusted)
            {
                if (iat - ClockSkew > now) return AuthResult.Fail("token issued in the future");
                if (claims.Nbf is { } nbf && DateTimeOffset.FromUnixTimeSeconds(nbf) - ClockSkew > now) return AuthResult.Fail("token not valid yet (nbf)");
            }
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
