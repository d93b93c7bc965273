using Appliance.Security;
using Microsoft.Extensions.Logging;

namespace Appliance.Rpc.Methods;

public sealed record AuthenticateResult(bool Authenticated, string? Role = null, string[]? Permissions = null,
    string? ExpiresAt = null, string? SessionId = null, string? Error = null, string? AuthMethod = null);

/// <summary>
/// authenticate: binds a role to this connection only. A failure is a *result*
/// ({authenticated:false, error}), not an error: the original clients read only results and
/// would otherwise wait for their 30 s timeout. Failures are limited per client address so a
/// credential cannot be guessed quickly, even across reconnects.
/// </summary>
public sealed class AuthMethods(Authenticator authenticator, AuthFailureThrottle failures, ILogger<AuthMethods> log)
{
    public void Register(RpcMethodTable table) => table.Add("authenticate", Role.None, Authenticate);

    private ValueTask<RpcResult> Authenticate(RpcCall call)
    {
        // The original SDKs send "token"; the API document says "auth_token": accept both.
        var token = call.OptionalString("auth_token") ?? call.OptionalString("token");
        var authType = call.OptionalEnum("auth_type", "jwt", "api_key", "auto") ?? "auto";
        var client = call.Connection.Remote;

        if (failures.IsBlocked(client))
            return Result(new AuthenticateResult(false, Error: "too many failed authentication attempts; wait a minute and retry"));

        var result = authenticator.Authenticate(token, authType);
        if (!result.Ok)
        {
            failures.RecordFailure(client);
            log.LogInformation("Connection {Id} from {Remote}: authentication failed ({Reason})", call.Connection.Id, client, result.Error);
            return Result(new AuthenticateResult(false, Error: result.Error));
        }

        call.Connection.Bind(result);
        return Result(new AuthenticateResult(true, Roles.Name(result.Role), Roles.Permissions(result.Role),
            result.ExpiresAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"), call.Connection.SessionId, AuthMethod: result.Method));
    }

    private static ValueTask<RpcResult> Result(AuthenticateResult r) =>
        ValueTask.FromResult(RpcResult.From(r, RpcJsonContext.Default.AuthenticateResult));
}
