using System.Net;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.MediaAccess;

/// <summary>
/// Every action MediaMTX asks about × every kind of credential × every way MediaMTX hands it
/// over, against the real service host's hook listener over real HTTP. The expected answer is
/// worked out from the rules (not recorded from a run): see <see cref="Expected"/>.
/// </summary>
[TestFixture]
public class MediaAuthHookMatrixTests
{
    public enum Kind
    {
        None, Wrong, JwtViewer, JwtOperator, JwtAdmin, JwtExpired, ApiKeyViewer, ApiKeyOperator, ApiKeyAdmin, ApiKeyRevoked,
        InternalRead, Publish, Api,
    }

    /// <summary>How MediaMTX passes what the client sent. Password: RTSP user:pass@ or HTTP Basic
    /// (MediaMTX also copies the password into token); Bearer: Authorization: Bearer (token only);
    /// Query: HLS/WebRTC ?token= (query only, token empty).</summary>
    public enum Carrier { Password, Bearer, Query }

    private static readonly string[] Actions = ["read", "playback", "publish", "api", "metrics", "pprof"];

    private RunningHost _host = null!;
    private HookClient _hook = null!;
    private readonly Dictionary<Kind, (string User, string Secret)> _credentials = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // A high failure limit: this fixture checks decisions, the throttle has its own tests.
        _host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10000");
        _hook = new HookClient(_host.MediaAuthHookUri);
        var keys = _host.Host.Authenticator.ApiKeys;
        var media = _host.Host.MediaMtx.Credentials;
        _credentials[Kind.None] = ("", "");
        _credentials[Kind.Wrong] = ("any", "not-a-credential");
        _credentials[Kind.JwtViewer] = ("any", _host.Token(Role.Viewer));
        _credentials[Kind.JwtOperator] = ("any", _host.Token(Role.Operator));
        _credentials[Kind.JwtAdmin] = ("any", _host.Token(Role.Admin));
        _credentials[Kind.JwtExpired] = ("any", _host.Token(Role.Admin, TimeSpan.FromMinutes(-10)));
        _credentials[Kind.ApiKeyViewer] = ("any", keys.Add(Role.Viewer, "v").Key);
        _credentials[Kind.ApiKeyOperator] = ("any", keys.Add(Role.Operator, "o").Key);
        _credentials[Kind.ApiKeyAdmin] = ("any", keys.Add(Role.Admin, "a").Key);
        var (revoked, revokedKey) = keys.Add(Role.Admin, "revoked");
        Assert.That(keys.Revoke(revoked.Id), Is.True);
        _credentials[Kind.ApiKeyRevoked] = ("any", revokedKey);
        _credentials[Kind.InternalRead] = (media.InternalRead.User, media.InternalRead.Password);
        _credentials[Kind.Publish] = (media.Publish.User, media.Publish.Password);
        _credentials[Kind.Api] = (media.Api.User, media.Api.Password);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _hook.Dispose();
        await _host.DisposeAsync();
    }

    public static IEnumerable<TestCaseData> Cases() =>
        from action in Actions
        from kind in Enum.GetValues<Kind>()
        from carrier in Enum.GetValues<Carrier>()
        select new TestCaseData(action, kind, carrier).Returns(Expected(action, kind, carrier)).SetName($"{action} with {kind} as {carrier}");

    /// <summary>The rules: viewers and up read; the service's own credentials (a user and a password,
    /// so only as Password) do only their own action; no credential at all is 401, anything else 403.</summary>
    private static HttpStatusCode Expected(string action, Kind kind, Carrier carrier)
    {
        if (kind == Kind.None) return HttpStatusCode.Unauthorized;
        var viewerOrUp = kind is Kind.JwtViewer or Kind.JwtOperator or Kind.JwtAdmin or Kind.ApiKeyViewer or Kind.ApiKeyOperator or Kind.ApiKeyAdmin;
        var allowed = action switch
        {
            "read" or "playback" => viewerOrUp || (kind == Kind.InternalRead && carrier == Carrier.Password),
            "publish" => kind == Kind.Publish && carrier == Carrier.Password,
            _ => kind == Kind.Api && carrier == Carrier.Password,
        };
        return allowed ? HttpStatusCode.OK : HttpStatusCode.Forbidden;
    }

    [TestCaseSource(nameof(Cases))]
    public async Task<HttpStatusCode> TheHookAnswers(string action, Kind kind, Carrier carrier)
    {
        var (user, secret) = _credentials[kind];
        return carrier switch
        {
            Carrier.Password => await _hook.AskAsync(action, user: user, password: secret, token: secret),
            Carrier.Bearer => await _hook.AskAsync(action, token: secret, protocol: "webrtc"),
            _ => await _hook.AskAsync(action, query: secret.Length == 0 ? "" : "token=" + Uri.EscapeDataString(secret), protocol: "hls"),
        };
    }

    [Test]
    public async Task TheServicesOwnReadAndPublishCredentialsWorkOnlyFromLoopback()
    {
        var media = _host.Host.MediaMtx.Credentials;
        Assert.That(await _hook.AskAsync("publish", ip: "::1", user: media.Publish.User, password: media.Publish.Password), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await _hook.AskAsync("publish", ip: "192.0.2.10", user: media.Publish.User, password: media.Publish.Password), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await _hook.AskAsync("read", ip: "192.0.2.10", user: media.InternalRead.User, password: media.InternalRead.Password), Is.EqualTo(HttpStatusCode.Forbidden));
        // A viewer's JWT is not restricted to loopback: that is what it is for.
        Assert.That(await _hook.AskAsync("read", ip: "192.0.2.10", user: "any", password: _host.Token(Role.Viewer)), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task TheRightPasswordUnderAnotherUserNameIsRefused()
    {
        var media = _host.Host.MediaMtx.Credentials;
        Assert.That(await _hook.AskAsync("publish", user: "any", password: media.Publish.Password), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await _hook.AskAsync("api", user: media.Publish.User, password: media.Publish.Password), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task AnActionMediaMtxDoesNotSendIsABadRequest() =>
        Assert.That(await _hook.AskAsync("delete", user: "any", password: _host.Token(Role.Admin)), Is.EqualTo(HttpStatusCode.BadRequest));
}
