using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.MediaAccess;
using Appliance.Security;
using Appliance.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Tests.MediaAccess;

/// <summary>The hook's own surface: throttling of wrong credentials per client address, the
/// listener being the only way in, the body cap, and mediamtx.anonymous_read. Real host, real sockets.</summary>
[TestFixture]
public class MediaAuthHookListenerTests
{
    private const int Limit = 3;
    private RunningHost _host = null!;
    private HookClient _hook = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await RunningHost.StartAsync(securityExtra: $"auth_failures_per_minute = {Limit}");
        _hook = new HookClient(_host.MediaAuthHookUri);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _hook.Dispose();
        await _host.DisposeAsync();
    }

    [Test]
    public void TheHookListenerIsNotAnnouncedAsAnApiAddress()
    {
        // It shares Kestrel with the API, but serves only MediaMTX's questions: the start-up log and
        // websocket_server's health must not send anyone there for JSON-RPC.
        var details = _host.Host.Health.Snapshot().Single(c => c.Name == "websocket_server").Detail;
        Assert.That(details, Does.Contain($":{_host.Host.BoundAddress.Port}"));
        Assert.That(details, Does.Not.Contain($":{_host.Host.MediaAuthHookPort}"));
    }

    [Test]
    public async Task FirstAttemptsWithoutACredentialAre401AndDoNotCountAsFailures()
    {
        const string ip = "198.51.100.1";
        for (var i = 0; i < Limit * 4; i++)
            Assert.That(await _hook.AskAsync("read", ip: ip), Is.EqualTo(HttpStatusCode.Unauthorized), $"attempt {i}");
        Assert.That(await _hook.AskAsync("read", ip: ip, user: "any", password: _host.Token(Role.Viewer)), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WrongCredentialsFromOneAddressAreThrottledAndAnotherAddressIsNot()
    {
        const string ip = "198.51.100.2";
        for (var i = 0; i < Limit; i++)
            Assert.That(await _hook.AskAsync("read", ip: ip, user: "any", password: "guess" + i), Is.EqualTo(HttpStatusCode.Forbidden), $"guess {i}");
        Assert.That(await _hook.AskAsync("read", ip: ip, user: "any", password: "guess"), Is.EqualTo(HttpStatusCode.TooManyRequests));
        // Blocked means not even checked: a right credential from there waits out the minute too.
        Assert.That(await _hook.AskAsync("read", ip: ip, user: "any", password: _host.Token(Role.Viewer)), Is.EqualTo(HttpStatusCode.TooManyRequests));

        const string other = "198.51.100.3";
        Assert.That(await _hook.AskAsync("read", ip: other, user: "any", password: _host.Token(Role.Viewer)), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await _hook.AskAsync("read", ip: other, user: "any", password: "guess"), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task AThrottledLoopbackAddressStillLetsTheServicesOwnCredentialsThrough()
    {
        // A local process failing on purpose must not cut off the service's publishers and recorder.
        const string ip = "::1";
        var media = _host.Host.MediaMtx.Credentials;
        for (var i = 0; i < Limit; i++) await _hook.AskAsync("publish", ip: ip, user: "x", password: "guess" + i);
        Assert.That(await _hook.AskAsync("publish", ip: ip, user: "x", password: "guess"), Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(await _hook.AskAsync("publish", ip: ip, user: media.Publish.User, password: media.Publish.Password), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await _hook.AskAsync("read", ip: ip, user: media.InternalRead.User, password: media.InternalRead.Password), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await _hook.AskAsync("api", ip: ip, user: media.Api.User, password: media.Api.Password), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await _hook.AskAsync("read", ip: ip, user: "any", password: _host.Token(Role.Viewer)), Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task TheHookIsNotServedOnThePublicPort()
    {
        using var http = new HttpClient();
        var body = HookClient.Body("read", user: "any", password: _host.Token(Role.Viewer));
        var onPublic = new Uri(_host.HttpUri, MediaAuthHook.Path);
        Assert.That(await _hook.PostAsync(body, onPublic), Is.EqualTo(HttpStatusCode.NotFound));
        // ...and the same request on the hook's port is allowed, so the 404 above is about the port.
        Assert.That(await _hook.PostAsync(body), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task NothingElseIsServedOnTheHooksPort()
    {
        using var http = new HttpClient();
        var port = _host.Host.MediaAuthHookPort;
        Assert.That((await http.GetAsync($"http://127.0.0.1:{port}/health/live")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await http.GetAsync($"http://127.0.0.1:{port}{MediaAuthHook.Path}")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await http.GetAsync(new Uri(_host.HttpUri, "/health/live"))).StatusCode, Is.Not.EqualTo(HttpStatusCode.NotFound), "the public port still serves health");
    }

    [Test]
    public void TheHookListensOnLoopbackOnly()
    {
        var port = _host.Host.MediaAuthHookPort;
        // Bound to 127.0.0.1 alone: not ::1, not any address of the machine's network interfaces.
        var others = Dns.GetHostAddresses(Dns.GetHostName()).Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Append(IPAddress.IPv6Loopback).ToList();
        foreach (var address in others)
        {
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            Assert.That(() => socket.Connect(address, port), Throws.InstanceOf<SocketException>(), $"reachable on {address}");
        }
        using var loopback = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.That(() => loopback.Connect(IPAddress.Loopback, port), Throws.Nothing);
    }

    [Test]
    public async Task ACallerThatIsNotOnLoopbackIsRefused()
    {
        // The listener binds 127.0.0.1, so no real socket can come from elsewhere: the hook's own
        // check (defence in depth) is driven with a request context claiming another address.
        var media = _host.Host.MediaMtx.Credentials;
        var hook = new MediaAuthHook(new MediaAccessPolicy(media, _host.Host.Authenticator, _host.Host.Config, new AuthFailureThrottle(() => 10), _host.Host.MediaTokens), NullLogger<MediaAuthHook>.Instance);
        var body = HookClient.Body("publish", user: media.Publish.User, password: media.Publish.Password);
        Assert.That(await HandleAsync(hook, body, IPAddress.Loopback), Is.EqualTo(StatusCodes.Status200OK));
        Assert.That(await HandleAsync(hook, body, IPAddress.Parse("192.0.2.7")), Is.EqualTo(StatusCodes.Status403Forbidden));
    }

    private static async Task<int> HandleAsync(MediaAuthHook hook, string body, IPAddress remote)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = remote;
        context.Request.Method = "POST";
        context.Request.Path = MediaAuthHook.Path;
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        await hook.HandleAsync(context);
        return context.Response.StatusCode;
    }

    [Test]
    public async Task AnOversizeBodyIsRefusedEvenWithAValidCredential()
    {
        var body = HookClient.Body("read", user: "any", password: _host.Token(Role.Viewer)).Replace("\"userAgent\":\"test\"",
            $"\"userAgent\":\"{new string('x', MediaAuthHook.MaxBodyBytes)}\"");
        Assert.That(await _hook.PostAsync(body), Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));

        // Without Content-Length (chunked) the cap holds while reading.
        using var http = new HttpClient();
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        chunked.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.MediaAuthHookUri) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using var response = await http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task ABodyThatIsNotMediaMtxsJsonIsABadRequest()
    {
        Assert.That(await _hook.PostAsync("{\"user\":"), Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await _hook.PostAsync("[1,2]"), Is.EqualTo(HttpStatusCode.BadRequest));
    }
}

/// <summary>mediamtx.anonymous_read = true opens reading only.</summary>
[TestFixture]
public class MediaAuthHookAnonymousReadTests
{
    [Test]
    public async Task AnonymousReadAllowsReadAndPlaybackWithoutACredentialButNotPublishOrTheApi()
    {
        await using var host = await RunningHost.StartAsync(extraToml: "\n[mediamtx]\nanonymous_read = true\n");
        using var hook = new HookClient(host.MediaAuthHookUri);
        Assert.That(await hook.AskAsync("read", ip: "203.0.113.5"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await hook.AskAsync("playback", ip: "203.0.113.5"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await hook.AskAsync("read", ip: "203.0.113.5", protocol: "hls"), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await hook.AskAsync("publish"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await hook.AskAsync("publish", user: "any", password: "x"), Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await hook.AskAsync("api"), Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await hook.AskAsync("metrics", user: "any", password: host.Token(Role.Admin)), Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task WithoutAnonymousReadAReadWithoutACredentialIsAskedForOne()
    {
        await using var host = await RunningHost.StartAsync();
        using var hook = new HookClient(host.MediaAuthHookUri);
        Assert.That(await hook.AskAsync("read", ip: "203.0.113.5"), Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
