using Appliance.MediaAccess;
using Appliance.Security;
using Appliance.Security.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>The two bounded stores on a fake clock: console sessions and media tokens.</summary>
public class SessionStoreTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static AuthResult Viewer(string user = "v", DateTimeOffset? expires = null) => AuthResult.Success(Role.Viewer, user, expires, "jwt");

    [Test]
    public void ASessionLivesItsLifetimeThenIsDroppedWhenLookedAt()
    {
        var lifetime = TimeSpan.FromSeconds(60);
        var sessions = new ConsoleSessions(() => lifetime, () => 64, _clock);
        var s = sessions.Create(Viewer());
        Assert.That(s.ExpiresAt, Is.EqualTo(_clock.GetUtcNow() + TimeSpan.FromSeconds(60)));
        Assert.That(s.Auth.ExpiresAt, Is.EqualTo(s.ExpiresAt), "whatever is bound to the session loses its role when the session ends");
        lifetime = TimeSpan.FromSeconds(600);   // live: applies to the next login, not to this one
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.That(sessions.Find(s.Id, out _), Is.EqualTo(SessionLookup.Live));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(sessions.Find(s.Id, out var gone), Is.EqualTo(SessionLookup.Expired));
        Assert.That(gone, Is.Null);
        Assert.That((sessions.Find(s.Id, out _), sessions.Count), Is.EqualTo((SessionLookup.Unknown, 0)));
        Assert.That(sessions.Create(Viewer()).ExpiresAt - _clock.GetUtcNow(), Is.EqualTo(TimeSpan.FromSeconds(600)));
    }

    [Test]
    public void TheCredentialsExpiryCapsTheSession()
    {
        var sessions = new ConsoleSessions(() => TimeSpan.FromHours(1), () => 64, _clock);
        var jwtEnd = _clock.GetUtcNow() + TimeSpan.FromMinutes(5);
        Assert.That(sessions.Create(Viewer(expires: jwtEnd)).ExpiresAt, Is.EqualTo(jwtEnd));
    }

    [Test]
    public void WhenFullExpiredSessionsGoFirstThenTheOldest()
    {
        var ended = new List<(string User, SessionEnd Why)>();
        var lifetime = TimeSpan.FromSeconds(60);
        var sessions = new ConsoleSessions(() => lifetime, () => 3, _clock);
        sessions.Ended += (s, why) => ended.Add((s.UserId, why));
        sessions.Create(Viewer("short"));
        lifetime = TimeSpan.FromHours(1);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var a = sessions.Create(Viewer("a"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        var b = sessions.Create(Viewer("b"));
        _clock.Advance(TimeSpan.FromSeconds(60));   // "short" has expired
        var c = sessions.Create(Viewer("c"));
        Assert.That((sessions.Count, ended.Count), Is.EqualTo((3, 0)), "an expired session made room; nobody live was evicted");
        var d = sessions.Create(Viewer("d"));
        Assert.That(ended, Is.EqualTo(new[] { ("a", SessionEnd.Evicted) }));
        Assert.That(new[] { a, b, c, d }.Select(s => sessions.IsLive(s.Id)), Is.EqualTo(new[] { false, true, true, true }));
    }

    [Test]
    public void LogoutAndRevocationEndSessionsAndSaySo()
    {
        using var dir = new Support.TestDirectory();
        var keys = new ApiKeyStore(() => dir.File("keys.json"));
        var (record, key) = keys.Add(Role.Operator, "k");
        var sessions = new ConsoleSessions(() => TimeSpan.FromHours(1), () => 64, _clock);
        var ended = new List<SessionEnd>();
        sessions.Ended += (_, why) => ended.Add(why);
        var byKey = sessions.Create(keys.Validate(key));
        var byJwt = sessions.Create(Viewer());
        Assert.That(sessions.EndRevokedApiKeySessions(keys), Is.Zero);
        keys.Revoke(record.Id);
        Assert.That(sessions.EndRevokedApiKeySessions(keys), Is.EqualTo(1));
        Assert.That((sessions.IsLive(byKey.Id), sessions.IsLive(byJwt.Id)), Is.EqualTo((false, true)));
        Assert.That(sessions.End(byJwt.Id), Is.True);
        Assert.That(sessions.End(byJwt.Id), Is.False);
        Assert.That(ended, Is.EqualTo(new[] { SessionEnd.Revoked, SessionEnd.LoggedOut }));
    }

    [Test]
    public void IdsAre256RandomBits()
    {
        var sessions = new ConsoleSessions(() => TimeSpan.FromHours(1), () => 4096, _clock);
        var ids = Enumerable.Range(0, 200).Select(_ => sessions.Create(Viewer()).Id).ToList();
        Assert.That(ids, Is.Unique);
        Assert.That(ids, Has.All.Matches<string>(id => id!.Length == 43 && id.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')));
    }

    [Test]
    public void MediaTokensAreBoundToOnePathAndExpire()
    {
        var tokens = new MediaTokens(() => TimeSpan.FromSeconds(600), _clock);
        var t = tokens.Issue("camera0");
        Assert.That((tokens.Allows(t.Token, "camera0"), tokens.Allows(t.Token, "camera1"), tokens.Allows(t.Token + "x", "camera0"), tokens.Allows(null, "camera0")),
            Is.EqualTo((true, false, false, false)));
        _clock.Advance(TimeSpan.FromSeconds(599));
        Assert.That(tokens.Allows(t.Token, "camera0"), Is.True);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That((tokens.Allows(t.Token, "camera0"), tokens.Count), Is.EqualTo((false, 0)));
    }

    [Test]
    public void MediaTokensAreBoundedTheOldestGoingFirst()
    {
        var tokens = new MediaTokens(() => TimeSpan.FromSeconds(600), _clock, capacity: 4);
        var issued = Enumerable.Range(0, 6).Select(i => tokens.Issue("camera" + i)).ToList();
        Assert.That(tokens.Count, Is.EqualTo(4));
        Assert.That(issued.Select(t => tokens.Allows(t.Token, t.Path)), Is.EqualTo(new[] { false, false, true, true, true, true }));
        Assert.That(new MediaTokens(() => TimeSpan.FromSeconds(600)).Capacity, Is.EqualTo(1024));
        // Many expired tokens do not grow the store past its bound either.
        for (var i = 0; i < 50; i++)
        {
            tokens.Issue("x");
            _clock.Advance(TimeSpan.FromSeconds(601));
        }
        Assert.That(tokens.Count, Is.LessThanOrEqualTo(4));
    }
}
