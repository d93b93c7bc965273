using System.Net;
using System.Net.WebSockets;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>The bounds: the failure budget a login shares with authenticate, security.max_sessions, and expiry.</summary>
public class SessionLimitTests
{
    [Test]
    public async Task WrongLoginsCountAgainstTheAddressesFailureBudget()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 3");
        using var client = new SessionHttp(host);
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await client.LoginAsync("apk_00000000_guess" + i);
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }
        using var right = await client.LoginAsync(host.Token(Role.Admin));
        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "a right credential is not even looked at while throttled");
        Assert.That(right.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(60)));
        Assert.That((await SessionHttp.JsonAsync(right)).GetProperty("error").GetString(), Does.Contain("too many failed logins"));

        // One budget for every door: the WebSocket's authenticate is refused too.
        await using var socket = await host.ConnectAsync();
        using var auth = await socket.CallAsync("authenticate", $$"""{"auth_token":"{{host.Token(Role.Admin)}}"}""");
        Assert.That(auth.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False);
        // ... and downloads answer 429.
        var download = new HttpRequestMessage(HttpMethod.Get, "/files/snapshots/x.jpg");
        download.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.Token(Role.Admin));
        using var refused = await client.Http.SendAsync(download);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task ALoginWhenFullEndsTheOldestSessionAndClosesItsSockets()
    {
        await using var host = await RunningHost.StartAsync(securityExtra: "max_sessions = 2");
        using var client = new SessionHttp(host);
        var first = await client.SessionAsync(host.Token(Role.Viewer, user: "first"));
        await using var socket = await SessionSockets.ConnectAsync(host, first, client.OwnOrigin);
        using (var ping = await socket.CallAsync("ping")) Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));
        var second = await client.SessionAsync(host.Token(Role.Viewer, user: "second"));
        var third = await client.SessionAsync(host.Token(Role.Viewer, user: "third"));

        Assert.That(host.Host.Sessions.Count, Is.EqualTo(2));
        using (var evicted = await client.SendAsync(HttpMethod.Get, "/api/session", first))
            Assert.That(evicted.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        foreach (var kept in new[] { second, third })
        {
            using var live = await client.SendAsync(HttpMethod.Get, "/api/session", kept);
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        await SessionSockets.AssertClosedAsync(socket, "session ended");
    }

    [Test]
    public async Task ASessionEndsWithItsJwtAndItsSocketIsClosed()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new SessionHttp(host);
        // security.session_lifetime is at least 60 s; a JWT that ends sooner caps the session, so 2 s of waiting is enough.
        var id = await client.SessionAsync(host.Token(Role.Viewer, TimeSpan.FromSeconds(2)));
        await using var socket = await SessionSockets.ConnectAsync(host, id, client.OwnOrigin);
        using (var ping = await socket.CallAsync("ping")) Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));

        await SessionSockets.AssertClosedAsync(socket, "session expired");
        using var after = await client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await SessionHttp.JsonAsync(after)).GetProperty("error").GetString(), Is.EqualTo("session expired"));
        using var again = await client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That((await SessionHttp.JsonAsync(again)).GetProperty("error").GetString(), Is.EqualTo("no session"), "an expired session is dropped once seen");
    }

    [Test]
    public async Task RevokingTheApiKeyEndsItsSessions()
    {
        await using var host = await RunningHost.StartAsync();
        using var client = new SessionHttp(host);
        var keys = host.Host.Authenticator.ApiKeys;
        var (record, key) = keys.Add(Role.Operator, "tablet");
        var id = await client.SessionAsync(key);
        await using var socket = await SessionSockets.ConnectAsync(host, id, client.OwnOrigin);
        using (var ping = await socket.CallAsync("ping")) Assert.That(ping.RootElement.GetProperty("result").GetString(), Is.EqualTo("pong"));

        Assert.That(keys.Revoke(record.Id), Is.True);   // the key file changes on disk: the host's watcher ends the sessions
        await socket.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        using var after = await client.SendAsync(HttpMethod.Get, "/api/session", id);
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
