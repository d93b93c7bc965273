using System.Buffers.Text;
using System.Security.Cryptography;

namespace Appliance.MediaAccess;

/// <summary>A media token: lets its holder read (watch) one MediaMTX path until <see cref="ExpiresAt"/>.</summary>
public sealed record MediaToken(string Token, string Path, DateTimeOffset ExpiresAt);

/// <summary>
/// Short-lived, read-only tokens for live media (JSON-RPC get_stream_token), each bound to one
/// MediaMTX path. They exist so that a browser can watch without putting the login credential in a
/// URL: native HLS (iOS) can carry a credential only in the query, where it ends up in logs and
/// history, so what travels there is worth little — one camera, read only, minutes.
/// Only <see cref="MediaAccessPolicy"/> asks this store, and only for read/playback; the
/// <see cref="Security.Authenticator"/> (authenticate, /ws, downloads, the still image, logins) never
/// does, so a media token is not a credential anywhere else.
/// Bounded: at most <see cref="Capacity"/> tokens (1024); issuing one more drops the oldest. Expired
/// tokens are dropped lazily (when looked up, or when room is needed): no timer.
/// </summary>
public sealed class MediaTokens(Func<TimeSpan> lifetime, TimeProvider? time = null, int capacity = MediaTokens.DefaultCapacity)
{
    public const int DefaultCapacity = 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, MediaToken> _tokens = new(StringComparer.Ordinal);
    // Issue order, for evicting the oldest; entries already gone from _tokens are skipped.
    private readonly Queue<string> _order = new();
    private readonly Lock _gate = new();

    public int Capacity => capacity;

    public int Count { get { lock (_gate) return _tokens.Count; } }

    /// <summary>A new token for <paramref name="path"/>, living mediamtx.media_token_lifetime but never
    /// past <paramref name="notAfter"/> (the end of the credential that asked for it).</summary>
    public MediaToken Issue(string path, DateTimeOffset? notAfter = null)
    {
        var now = _time.GetUtcNow();
        var expires = now + lifetime();
        if (notAfter is { } limit && limit < expires) expires = limit;
        var token = new MediaToken("mt_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)), path, expires);
        lock (_gate)
        {
            while (_tokens.Count >= capacity && _order.TryDequeue(out var oldest)) _tokens.Remove(oldest);
            // The queue also holds tokens already dropped as expired: keep it from growing past the bound.
            while (_order.Count >= capacity * 2 && _order.TryDequeue(out var stale)) _tokens.Remove(stale);
            _tokens[token.Token] = token;
            _order.Enqueue(token.Token);
        }
        return token;
    }

    /// <summary>True when <paramref name="token"/> is a live media token for exactly <paramref name="path"/>.</summary>
    public bool Allows(string? token, string? path)
    {
        if (string.IsNullOrEmpty(token) || string.IsNullOrEmpty(path) || token.Length > 64 || !token.StartsWith("mt_", StringComparison.Ordinal)) return false;
        lock (_gate)
        {
            if (!_tokens.TryGetValue(token, out var found)) return false;
            if (_time.GetUtcNow() >= found.ExpiresAt)
            {
                _tokens.Remove(token);
                return false;
            }
            return string.Equals(found.Path, path, StringComparison.Ordinal);
        }
    }
}
