namespace Appliance.Security.Sessions;

/// <summary>
/// One console login (POST /api/session): an opaque id that stands for a credential that was
/// checked once. <see cref="Auth"/> is that credential's result with <c>ExpiresAt</c> set to the
/// session's own end, so whatever is bound to it (a WebSocket) loses its role at the same moment.
/// </summary>
public sealed class ConsoleSession(string id, AuthResult auth, DateTimeOffset createdAt, DateTimeOffset expiresAt)
{
    /// <summary>256 random bits, base64url (43 characters): the cookie value.</summary>
    public string Id { get; } = id;
    public AuthResult Auth { get; } = auth with { ExpiresAt = expiresAt };
    public Role Role => Auth.Role;
    public string UserId => Auth.UserId;
    public DateTimeOffset CreatedAt { get; } = createdAt;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;

    /// <summary>Never the id: it is the bearer secret.</summary>
    public override string ToString() => $"session of {UserId} ({Roles.Name(Role)}) until {ExpiresAt:u}";
}

/// <summary>Why a session ended (the WebSockets bound to it are closed with this reason).</summary>
public enum SessionEnd { LoggedOut, Evicted, Revoked }
