using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>Where a session cookie is honoured (/ws with our own Origin, downloads) and where not
/// (/ws from another origin or none); HTTP Basic on downloads.</summary>
public class SessionCredentialTests
{
    private RunningHost _host = null!;
    private SessionHttp _client = null!;
    private string _shot = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10000");
        _client = new SessionHttp(_host);
        _shot = Appliance.Tests.Storage.StorageSamples.Copy(Appliance.Tests.Storage.StorageSamples.Jpg, Path.Combine(_host.DataDir, "snapshots"), "shot.jpg");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public async Task TheWebSocketStartsAuthenticatedWithTheCookieAndItsOwnOrigin()
    {
        var id = await _client.SessionAsync(_host.Token(Role.Admin));
        // server.auth_timeout does not apply: the connection authenticated on the upgrade.
        await using var socket = await SessionSockets.ConnectAsync(_host, id, _client.OwnOrigin);
        using var info = await socket.CallAsync("get_server_info");
        Assert.That(info.RootElement.TryGetProperty("result", out _), Is.True, info.RootElement.ToString());
        Assert.That(_host.Host.Connections.All.Single(c => c.ConsoleSessionId == id).HasAuthenticated, Is.True);
    }

    [TestCase("http://evil.example")]
    [TestCase("http://127.0.0.1:1")]
    [TestCase(null)]
    public async Task TheCookieIsIgnoredWithAForeignOrNoOrigin(string? origin)
    {
        var id = await _client.SessionAsync(_host.Token(Role.Admin));
        await using var socket = await SessionSockets.ConnectAsync(_host, id, origin);
        using var ping = await socket.CallAsync("ping");
        Assert.That(ReplyShape.ErrorCode(ping.RootElement), Is.EqualTo(-32001), "an anonymous connection, as if there were no cookie");
        using var auth = await socket.CallAsync("authenticate", $$"""{"auth_token":"{{_host.Token(Role.Viewer)}}"}""");
        using var after = await socket.CallAsync("ping");
        Assert.That(after.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"), "authenticate still works on it");
    }

    [Test]
    public async Task LogoutClosesTheSocketsBoundToTheSession()
    {
        var id = await _client.SessionAsync(_host.Token(Role.Viewer));
        var other = await _client.SessionAsync(_host.Token(Role.Viewer));
        await using var socket = await SessionSockets.ConnectAsync(_host, id, _client.OwnOrigin);
        await using var bystander = await SessionSockets.ConnectAsync(_host, other, _client.OwnOrigin);
        using (var ping = await socket.CallAsync("ping")) Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));

        using var logout = await _client.SendAsync(HttpMethod.Delete, "/api/session", id, _client.OwnOrigin);
        Assert.That(logout.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await SessionSockets.AssertClosedAsync(socket, "session ended");
        using var still = await bystander.CallAsync("ping");
        Assert.That(still.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"), "another session's socket stays");
    }

    [Test]
    public async Task DownloadsAcceptTheSessionCookie()
    {
        var id = await _client.SessionAsync(_host.Token(Role.Viewer));
        using var response = await _client.SendAsync(HttpMethod.Get, "/files/snapshots/shot.jpg", id);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(await File.ReadAllBytesAsync(_shot)));
    }

    [Test]
    public async Task DownloadsAcceptHttpBasicWithAnyUserAndAKeyOrJwtAsThePassword()
    {
        var (_, key) = _host.Host.Authenticator.ApiKeys.Add(Role.Viewer, "home-assistant");
        foreach (var (user, password) in new[] { ("homeassistant", key), ("", key), ("x", _host.Token(Role.Viewer)) })
        {
            using var response = await GetWithBasic(user, password);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"user '{user}'");
        }
        using var wrong = await GetWithBasic("homeassistant", key + "x");
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(wrong.Headers.WwwAuthenticate.Select(h => h.ToString()), Is.EqualTo(new[] { "Basic realm=\"appliance\", charset=\"UTF-8\"", "Bearer" }));

        var garbled = new HttpRequestMessage(HttpMethod.Get, "/files/snapshots/shot.jpg");
        garbled.Headers.Authorization = new AuthenticationHeaderValue("Basic", "%%%not-base64");
        using var refused = await _client.Http.SendAsync(garbled);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("not base64 of user:password"));
    }

    [Test]
    public async Task ADownloadWithoutCredentialsOffersBasicAndBearer()
    {
        using var response = await _client.SendAsync(HttpMethod.Get, "/files/snapshots/shot.jpg", cookie: null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Is.EqualTo(new[] { "Basic", "Bearer" }));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
    }

    private Task<HttpResponseMessage> GetWithBasic(string user, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/files/snapshots/shot.jpg");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return _client.Http.SendAsync(request);
    }
}
