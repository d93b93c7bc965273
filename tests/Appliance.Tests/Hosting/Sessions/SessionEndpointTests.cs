using System.Net;
using System.Text;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>POST/GET/DELETE /api/session on the real host's Kestrel socket.</summary>
public class SessionEndpointTests
{
    private RunningHost _host = null!;
    private SessionHttp _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        // A high failure budget: wrong credentials here must not throttle the other tests (SessionThrottleTests checks the budget).
        _host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10000");
        _client = new SessionHttp(_host);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task LoginWithAJwtSetsAStrictHttpOnlyCookieAndDescribesTheSession()
    {
        using var response = await _client.LoginAsync(_host.Token(Role.Operator, TimeSpan.FromHours(2), user: "alice"), origin: _client.OwnOrigin);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await SessionHttp.JsonAsync(response);
        Assert.That(body.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "authenticated", "role", "user_id", "expires_at", "expires_in" }));
        Assert.That(body.GetProperty("authenticated").GetBoolean(), Is.True);
        Assert.That(body.GetProperty("role").GetString(), Is.EqualTo("operator"));
        Assert.That(body.GetProperty("user_id").GetString(), Is.EqualTo("alice"));
        Assert.That(body.GetProperty("expires_in").GetInt64(), Is.InRange(3590, 3600), "security.session_lifetime (3600) is shorter than the JWT");
        var expiresAt = DateTimeOffset.Parse(body.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(body.GetProperty("expires_at").GetString(), Does.EndWith("Z"));
        Assert.That(expiresAt - DateTimeOffset.UtcNow, Is.InRange(TimeSpan.FromSeconds(3580), TimeSpan.FromSeconds(3601)));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);

        var cookie = SessionHttp.SetCookie(response);
        var id = SessionHttp.CookieValue(response);
        Assert.That(cookie, Does.Match(@"^appliance_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=3\d{3}; HttpOnly; SameSite=Strict$"), "no Secure over plain HTTP");
        Assert.That(Convert.FromBase64String(id.Replace('-', '+').Replace('_', '/') + "="), Has.Length.EqualTo(32), "256 random bits");

        using var shown = await _client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That(shown.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var again = await SessionHttp.JsonAsync(shown);
        Assert.That((again.GetProperty("role").GetString(), again.GetProperty("user_id").GetString(), again.GetProperty("expires_at").GetString()),
            Is.EqualTo(("operator", "alice", body.GetProperty("expires_at").GetString())));
    }

    [Test]
    public async Task LoginWithAnApiKeyCarriesTheKeysRole()
    {
        var (record, key) = _host.Host.Authenticator.ApiKeys.Add(Role.Admin, "console");
        using var response = await _client.LoginAsync(key, authType: "api_key");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await SessionHttp.JsonAsync(response);
        Assert.That((body.GetProperty("role").GetString(), body.GetProperty("user_id").GetString()), Is.EqualTo(("admin", "api_key:" + record.Id)));
    }

    [Test]
    public async Task TheSessionNeverOutlivesTheJwtItWasMadeFrom()
    {
        using var response = await _client.LoginAsync(_host.Token(Role.Viewer, TimeSpan.FromMinutes(10)));
        var body = await SessionHttp.JsonAsync(response);
        Assert.That(body.GetProperty("expires_in").GetInt64(), Is.InRange(590, 600));
        Assert.That(SessionHttp.SetCookie(response), Does.Match("; Max-Age=(59[0-9]|600);"));
    }

    [Test]
    public async Task AWrongCredentialIs401WithAReason()
    {
        using var wrong = await _client.LoginAsync(_host.Token(Role.Admin) + "x");
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await SessionHttp.JsonAsync(wrong)).GetProperty("error").GetString(), Does.Contain("invalid token signature"));
        Assert.That(SessionHttp.SetCookie(wrong), Is.Empty);

        using var expired = await _client.LoginAsync(_host.Token(Role.Admin, TimeSpan.FromMinutes(-5)));
        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await SessionHttp.JsonAsync(expired)).GetProperty("error").GetString(), Does.Contain("expired"));

        using var key = await _client.LoginAsync("apk_00000000_notakey");
        Assert.That(key.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [TestCase("""not json""", "not valid JSON")]
    [TestCase("""["a"]""", "JSON object")]
    [TestCase("""{}""", "'token' is required")]
    [TestCase("""{"token":42}""", "'token' is required")]
    [TestCase("""{"token":"x","auth_type":"password"}""", "'auth_type' must be one of jwt, api_key, auto")]
    public async Task AMalformedBodyIs400NamingTheProblem(string body, string problem)
    {
        using var response = await _client.PostAsync(body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await SessionHttp.JsonAsync(response)).GetProperty("error").GetString(), Does.Contain(problem));
    }

    [Test]
    public async Task OnlyJsonBodiesOfAtMost8KiBAreRead()
    {
        // A cross-site form can post text/plain or a urlencoded form without a CORS preflight, never application/json.
        using (var form = await _client.PostAsync($"token={_host.Token(Role.Admin)}", "application/x-www-form-urlencoded"))
            Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        using (var text = await _client.PostAsync($$"""{"token":"{{_host.Token(Role.Admin)}}"}""", "text/plain"))
            Assert.That(text.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        var padded = $$"""{"token":"{{_host.Token(Role.Admin)}}","pad":"{{new string('x', 8 * 1024)}}"}""";
        using (var big = await _client.PostAsync(padded))
            Assert.That(big.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        using (var charset = await _client.PostAsync($$"""{"token":"{{_host.Token(Role.Viewer)}}"}""", "application/json"))
            Assert.That(charset.StatusCode, Is.EqualTo(HttpStatusCode.OK), "application/json; charset=utf-8 is JSON");
    }

    [TestCase("http://evil.example")]
    [TestCase("null")]
    [TestCase("http://127.0.0.1:1")]
    [TestCase("https://127.0.0.1")]
    public async Task AForeignOriginCannotLogInOrOut(string origin)
    {
        using (var login = await _client.LoginAsync(_host.Token(Role.Admin), origin: origin))
        {
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await SessionHttp.JsonAsync(login)).GetProperty("error").GetString(), Does.Contain("not from this server"));
            Assert.That(SessionHttp.SetCookie(login), Is.Empty);
        }
        var id = await _client.SessionAsync(_host.Token(Role.Viewer));
        using (var logout = await _client.SendAsync(HttpMethod.Delete, "/api/session", id, origin))
            Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using var still = await _client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That(still.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a forged logout ends nothing");
    }

    [Test]
    public async Task LogoutEndsTheSessionAndClearsTheCookie()
    {
        var id = await _client.SessionAsync(_host.Token(Role.Viewer));
        using (var logout = await _client.SendAsync(HttpMethod.Delete, "/api/session", id, _client.OwnOrigin))
        {
            Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(SessionHttp.SetCookie(logout), Is.EqualTo("appliance_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"));
        }
        using var after = await _client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await SessionHttp.JsonAsync(after)).GetProperty("error").GetString(), Is.EqualTo("no session"));
        using var download = await _client.SendAsync(HttpMethod.Get, "/files/snapshots/none.jpg", id);
        Assert.That(download.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the cookie no longer opens anything");
    }

    [Test]
    public async Task NoOrAnUnknownCookieIsNoSession()
    {
        using (var none = await _client.SendAsync(HttpMethod.Get, "/api/session", cookie: null))
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That((await SessionHttp.JsonAsync(none)).GetProperty("error").GetString(), Is.EqualTo("no session"));
        }
        using var forged = await _client.SendAsync(HttpMethod.Get, "/api/session", new string('A', 43));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        using var logout = await _client.SendAsync(HttpMethod.Delete, "/api/session", cookie: null);
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "logging out twice is not an error");
    }

    [Test]
    public async Task LoggingInAgainReplacesTheBrowsersSession()
    {
        var first = await _client.SessionAsync(_host.Token(Role.Viewer));
        using var second = await _client.PostAsync($$"""{"token":"{{_host.Token(Role.Admin)}}"}""", cookie: first);
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(SessionHttp.CookieValue(second), Is.Not.EqualTo(first));
        using var old = await _client.SendAsync(HttpMethod.Get, "/api/session", first);
        Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task TheCookieIsSecureOverTls()
    {
        using var shared = new TestDirectory();
        await using var host = await RunningHost.StartAsync(serverExtra: $"tls_port = 8443\ntls_directory = \"{shared.File("tls")}\"");
        using var handler = new SocketsHttpHandler { UseCookies = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // this test is about the cookie, HttpsListenerTests about the certificate
        using var https = new HttpClient(handler) { BaseAddress = host.HttpsUri };
        using var content = new StringContent($$"""{"token":"{{host.Token(Role.Viewer)}}"}""", Encoding.UTF8, "application/json");
        using var response = await https.PostAsync("/api/session", content);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(SessionHttp.SetCookie(response), Does.EndWith("; HttpOnly; SameSite=Strict; Secure"));
    }
}
