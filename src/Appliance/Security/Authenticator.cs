namespace Appliance.Security;

/// <summary>Checks a credential of either kind. "auto" tells them apart by shape:
/// a JWT has three dot-separated parts, an API key starts with "apk_".</summary>
public sealed class Authenticator(JwtAuthority jwt, ApiKeyStore apiKeys)
{
    public JwtAuthority Jwt => jwt;
    public ApiKeyStore ApiKeys => apiKeys;

    public AuthResult Authenticate(string? token, string? authType = "auto")
    {
        if (string.IsNullOrWhiteSpace(token)) return AuthResult.Fail("missing credential");
        try
        {
            return (authType ?? "auto") switch
            {
                "jwt" => jwt.Validate(token),
                "api_key" => apiKeys.Validate(token),
                "auto" => token.Count(c => c == '.') == 2 ? jwt.Validate(token) : apiKeys.Validate(token),
                _ => AuthResult.Fail($"unknown auth_type '{authType}' (use jwt, api_key or auto)"),
            };
        }
        catch (InvalidDataException ex)
        {
            return AuthResult.Fail(ex.Message);
        }
    }
}
