using System.Buffers.Text;
using System.Security.Cryptography;

namespace Appliance.Security.Sessions;

/// <summary>How a session id presented by a client stands.</summary>
public enum SessionLookup { Live, Expired, Unknown }

/// <summary>
/// The console's login sessions, in memory (a restart logs everyone out, which is what a reboot
/// should do). Bounded: at most <c>security.max_sessions</c> (default 64) at once; a login when
/// full first drops expired sessions, then ends the oldest. Each session has a fixed lifetime
/// (<c>security.session_lifetime</c>, read at login), never longer than its credential's own
/// expiry. Expired sessions are dropped lazily, when looked up or when room is needed: no timer
/// runs here, so an idle box spends nothing on sessions. Ids are 256 random bits: unguessable,
/// so a lookup by dictionary (whose timing depends on the id) gives an attacker nothing to work
/// with, and a stale cookie is not counted as a failed credential.
/// </summary>
public sealed class ConsoleSessions(Func<TimeSpan> lifetime, Func<int> maxSessions, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, ConsoleSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Raised (outside the lock) when a session ends before its time: logout, eviction,
    /// revocation of its API key. Expiry raises nothing (nothing watches the clock); whatever is bound
    /// to a session holds its own expiry.</summary>
    public event Action<ConsoleSession, SessionEnd>? Ended;

    /// <summary>Sessions held now, expired ones not yet dropped included.</summary>
    public int Count { get { lock (_gate) return _sessions.Count; } }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Starts a session for a credential that was just accepted.</summary>
    public ConsoleSession Create(AuthResult auth)
    {
        if (!auth.Ok) throw new ArgumentException("a session is made only from an accepted credential", nameof(auth));
        var now = Now;
        var expires = now + lifetime();
        if (auth.ExpiresAt is { } credentialEnd && credentialEnd < expires) expires = credentialEnd;
        var session = new ConsoleSession(Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), auth, now, expires);
        List<ConsoleSession> evicted = [];
        lock (_gate)
        {
            var capacity = Math.Max(1, maxSessions());
            if (_sessions.Count >= capacity)
                foreach (var (id, s) in _sessions)
                    if (s.IsExpired(now)) _sessions.Remove(id);
            while (_sessions.Count >= capacity)
            {
                var oldest = _sessions.Values.MinBy(s => s.CreatedAt)!;
                _sessions.Remove(oldest.Id);
                evicted.Add(oldest);
            }
            _sessions[session.Id] = session;
        }
        foreach (var s in evicted) Ended?.Invoke(s, SessionEnd.Evicted);
        return session;
    }

    /// <summary>The live session with this id, or why there is none. An expired one is dropped now.</summary>
    public SessionLookup Find(string? id, out ConsoleSession? session)
    {
        session = null;
        if (string.IsNullOrEmpty(id) || id.Length > 64) return SessionLookup.Unknown;
        lock (_gate)
        {
            if (!_sessions.TryGetValue(id, out var found)) return SessionLookup.Unknown;
            if (found.IsExpired(Now))
            {
                _sessions.Remove(id);
                return SessionLookup.Expired;
            }
            session = found;
            return SessionLookup.Live;
        }
    }

    /// <summary>True while the session with this id exists and has not expired.</summary>
    public bool IsLive(string id) => Find(id, out _) == SessionLookup.Live;

    /// <summary>Logout: ends the session now. False when there was none.</summary>
    public bool End(string? id)
    {
        if (string.IsNullOrEmpty(id)) return false;
        ConsoleSession? ended;
        lock (_gate)
        {
            if (!_sessions.Remove(id, out ended)) return false;
        }
        Ended?.Invoke(ended, SessionEnd.LoggedOut);
        return true;
    }

    /// <summary>Ends every session made from an API key no longer in the key file.</summary>
    public int EndRevokedApiKeySessions(ApiKeyStore keys)
    {
        List<ConsoleSession> revoked = [];
        lock (_gate)
        {
            foreach (var (id, s) in _sessions)
                if (ApiKeyStore.KeyIdOf(s.Auth) is { } keyId && !keys.IsActive(keyId))
                {
                    _sessions.Remove(id);
                    revoked.Add(s);
                }
        }
        foreach (var s in revoked) Ended?.Invoke(s, SessionEnd.Revoked);
        return revoked.Count;
    }
}
