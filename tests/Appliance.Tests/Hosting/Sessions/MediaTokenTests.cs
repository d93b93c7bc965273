using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.MediaAccess;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>get_stream_token and where its token works: the media auth hook, for reading its own path, and nowhere else.</summary>
public class MediaTokenTests
{
    private RunningHost _host = null!;
    private HookClient _hook = null!;
    private SessionHttp _client = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10000",
            extraToml: "\n[[camera.virtual]]\nname = \"Demo\"\nresolution = \"320x240\"\nfps = 5\npattern = \"smptebars\"\n");
        _hook = new HookClient(_host.MediaAuthHookUri);
        _client = new SessionHttp(_host);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _client.Dispose();
        _hook.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<JsonElement> IssueAsync(Role role = Role.Viewer, TimeSpan? credentialLifetime = null)
    {
        await using var client = await RpcTestClient.ConnectAsync(_host.WebSocketUri);
        using (var auth = await client.CallAsync("authenticate", $$"""{"auth_token":"{{_host.Token(role, credentialLifetime)}}"}"""))
            Assert.That(auth.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.True);
        using var reply = await client.CallAsync("get_stream_token", """{"device":"virtual0"}""");
        Assert.That(reply.RootElement.TryGetProperty("result", out var result), Is.True, reply.RootElement.ToString());
        return result.Clone();
    }

    [Test]
    public async Task AViewerGetsATokenForTheCamerasPathWithUrlsThatCarryIt()
    {
        var r = await IssueAsync();
        var token = r.GetProperty("token").GetString()!;
        Assert.That(r.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "device", "path", "token", "expires_at", "expires_in", "urls" }));
        Assert.That((r.GetProperty("device").GetString(), r.GetProperty("path").GetString()), Is.EqualTo(("virtual0", "virtual0")));
        Assert.That(token, Does.Match("^mt_[A-Za-z0-9_-]{43}$"));
        Assert.That(r.GetProperty("expires_in").GetInt64(), Is.InRange(590, 600), "mediamtx.media_token_lifetime = 600");
        var urls = r.GetProperty("urls");
        Assert.That(urls.GetProperty("hls").GetString(), Is.EqualTo($"http://127.0.0.1:8888/virtual0/index.m3u8?token={token}"));
        Assert.That(urls.GetProperty("whep").GetString(), Is.EqualTo("http://127.0.0.1:8889/virtual0/whep"));
        Assert.That(urls.GetProperty("webrtc_player").GetString(), Is.EqualTo($"http://127.0.0.1:8889/virtual0/?token={token}"));
    }

    [Test]
    public async Task ATokenNeverOutlivesTheCredentialThatAskedForIt()
    {
        var r = await IssueAsync(credentialLifetime: TimeSpan.FromSeconds(90));
        Assert.That(r.GetProperty("expires_in").GetInt64(), Is.InRange(80, 90));
    }

    [Test]
    public async Task TheDeviceIsRequiredAndMustBeACamera()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var missing = await client.CallAsync("get_stream_token", "{}");
        Assert.That(ReplyShape.ErrorCode(missing.RootElement), Is.EqualTo(-32602));
        Assert.That(missing.RootElement.GetProperty("error").GetProperty("data").GetProperty("field").GetString(), Is.EqualTo("device"));
        using var unknown = await client.CallAsync("get_stream_token", """{"device":"/dev/video42"}""");
        Assert.That(ReplyShape.ErrorCode(unknown.RootElement), Is.EqualTo(-32004));
        await using var anonymous = await _host.ConnectAsync();
        using var refused = await anonymous.CallAsync("get_stream_token", """{"device":"virtual0"}""");
        Assert.That(ReplyShape.ErrorCode(refused.RootElement), Is.EqualTo(-32001));
    }

    [Test]
    public async Task TheHookLetsTheTokenReadItsOwnPathOnly()
    {
        var token = (await IssueAsync()).GetProperty("token").GetString()!;
        const string client = "192.0.2.10";   // a viewer on the network, as MediaMTX reports it
        // WHEP: Authorization: Bearer (MediaMTX puts it in token); HLS on iOS: ?token= (query only); Basic: the password (MediaMTX copies it into token).
        Assert.That(await Ask("read", token: token, protocol: "webrtc"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Ask("read", query: "token=" + token, protocol: "hls"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Ask("read", user: "any", password: token, token: token, protocol: "rtsp"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Ask("playback", token: token), Is.EqualTo(HttpStatusCode.OK));

        Assert.That(await Ask("read", token: token, path: "camera0"), Is.EqualTo(HttpStatusCode.Forbidden), "another path");
        Assert.That(await Ask("read", query: "token=" + token, path: "virtual0/extra", protocol: "hls"), Is.EqualTo(HttpStatusCode.Forbidden));
        foreach (var action in new[] { "publish", "api", "metrics", "pprof" })
            Assert.That(await Ask(action, user: "any", password: token, token: token), Is.EqualTo(HttpStatusCode.Forbidden), action);

        Task<HttpStatusCode> Ask(string action, string user = "", string password = "", string token = "", string query = "", string protocol = "webrtc", string path = "virtual0") =>
            _hook.PostAsync(HookClient.Body(action, client, user, password, token, query, protocol, path));
    }

    [Test]
    public async Task ATokenIsNoLoginAnywhere()
    {
        var token = (await IssueAsync(Role.Admin)).GetProperty("token").GetString()!;

        using (var login = await _client.LoginAsync(token))
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "POST /api/session");

        await using (var socket = await _host.ConnectAsync())
        {
            using var auth = await socket.CallAsync("authenticate", $$"""{"auth_token":"{{token}}"}""");
            Assert.That(auth.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.False, "authenticate");
            using var perCall = await socket.CallAsync("ping", $$"""{"auth_token":"{{token}}"}""");
            Assert.That(ReplyShape.ErrorCode(perCall.RootElement), Is.Not.Null, "a per-call auth_token");
        }

        await using (var upgraded = await RpcTestClient.ConnectAsync(_host.WebSocketUri, o => o.SetRequestHeader("Authorization", "Bearer " + token)))
        {
            using var ping = await upgraded.CallAsync("ping");
            Assert.That(ReplyShape.ErrorCode(ping.RootElement), Is.EqualTo(-32001), "/ws upgrade header");
        }

        foreach (var header in new[] { new AuthenticationHeaderValue("Bearer", token), new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("any:" + token))) })
        {
            var download = new HttpRequestMessage(HttpMethod.Get, "/files/snapshots/any.jpg") { Headers = { Authorization = header } };
            using var response = await _client.Http.SendAsync(download);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"download with {header.Scheme}");
        }
    }

    [Test]
    public async Task CameraStreamsKeepTheV1UrlsAndAddThePlayableOnes()
    {
        await using var client = await _host.ConnectAsync(Role.Viewer);
        using var reply = await client.CallAsync("get_camera_list");
        var streams = reply.RootElement.GetProperty("result").GetProperty("cameras")[0].GetProperty("streams");
        Assert.That(streams.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()), Is.EqualTo(new Dictionary<string, string?>
        {
            ["rtsp"] = "rtsp://127.0.0.1:8554/virtual0",
            ["webrtc"] = "http://127.0.0.1:8889/virtual0/webrtc",
            ["hls"] = "http://127.0.0.1:8888/virtual0",
            ["whep"] = "http://127.0.0.1:8889/virtual0/whep",
            ["hls_playlist"] = "http://127.0.0.1:8888/virtual0/index.m3u8",
            ["webrtc_player"] = "http://127.0.0.1:8889/virtual0/",
        }));
    }
}
