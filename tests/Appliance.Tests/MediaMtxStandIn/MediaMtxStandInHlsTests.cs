using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;
using Appliance.Tests.MediaOps;

namespace Appliance.Tests.StandIn;

/// <summary>The stand-in's HLS server, as MediaMTX v1.20.1 serves HLS, against the real service: its
/// auth hook decides, the virtual camera's on-demand publisher feeds the relay, and a real FFmpeg
/// muxes the relay's stream into fMP4 segments that ffprobe decodes.</summary>
[NonParallelizable]
public class MediaMtxStandInHlsTests
{
    private MediaMtxFixture _f = null!;

    [SetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions
        {
            UseRelay = true, HlsPort = 0, HlsMuxerCloseAfter = TimeSpan.FromSeconds(3), WrongCredentialsPause = TimeSpan.FromMilliseconds(200),
        }, authHook: true);
        await MediaMtxFixture.Eventually(() => _f.StandIn.GetPathConf("virtual0") is not null, "the virtual camera's path exists");
    }

    [TearDown]
    public async Task Stop() => await _f.DisposeAsync();

    private static HttpClient Client(bool followRedirects = true) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = followRedirects, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private Uri Playlist(string query = "") => new(_f.StandIn.HlsUrl("virtual0") + query);

    [Test]
    public async Task APlaylistRequestIsFirstRedirectedToTheCookieCheckAndWithoutACredentialAsksForOne()
    {
        using var http = Client(followRedirects: false);
        using var first = await http.GetAsync(Playlist("?b=2&a=1"));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Found));
        Assert.That(first.Headers.Location!.ToString(), Is.EqualTo("/virtual0/index.m3u8?a=1&b=2&cookieCheck=1"), "Go's query encoding: sorted by key");
        Assert.That(first.Headers.GetValues("Set-Cookie").Single(), Does.StartWith("cookieCheck=1;"));

        using var second = await http.GetAsync(new Uri(Playlist(), first.Headers.Location));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(second.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Basic realm=\"mediamtx\""));
        Assert.That(second.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("*"));
        Assert.That(await second.Content.ReadAsStringAsync(), Is.EqualTo("""{"status":"error","error":"authentication error"}"""));

        var asked = _f.StandIn.AuthHttp!.Asked.Select(a => a.Request).Single(r => r.Protocol == "hls");
        Assert.That((asked.Action, asked.Path, asked.Query, asked.Ip, asked.Id is not null), Is.EqualTo(("read", "virtual0", "a=1&b=2", "127.0.0.1", true)),
            "MediaMTX's question: the query without cookieCheck, a session id");
        Assert.That(_f.StandIn.HlsMuxers, Is.Empty, "a refused request starts nothing");
    }

    [Test]
    public async Task AWrongTokenIsRefusedWithoutAChallengeAndAPreflightIsAnswered()
    {
        using var http = Client();
        using var wrong = await http.GetAsync(Playlist("?token=not-a-credential"));
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(wrong.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Basic realm=\"mediamtx\""),
            "for HLS ?token= is only part of the query, not a credential: MediaMTX asks for one when the hook says no");

        using var bearer = new HttpRequestMessage(HttpMethod.Get, Playlist("?cookieCheck=1"));
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-credential");
        using var refused = await http.SendAsync(bearer);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(refused.Headers.WwwAuthenticate, Is.Empty, "a credential was sent: refused after the pause, no challenge");

        using var preflight = new HttpRequestMessage(HttpMethod.Options, Playlist());
        preflight.Headers.Add("Origin", "http://127.0.0.1:8002");
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
        using var answer = await http.SendAsync(preflight);
        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((answer.Headers.GetValues("Access-Control-Allow-Origin").Single(), answer.Headers.GetValues("Access-Control-Allow-Methods").Single(),
            answer.Headers.GetValues("Access-Control-Allow-Headers").Single()), Is.EqualTo(("*", "OPTIONS, GET", "Authorization, Range")));
    }

    [Test]
    public async Task AnAllowedTokenGetsAPlaylistWhoseSegmentsDecodeAndTheMuxerStopsWhenNobodyAsks()
    {
        using var http = Client();
        var token = _f.Host.Token(Role.Viewer);
        using var multivariant = await http.GetAsync(Playlist("?token=" + token));
        var text = await multivariant.Content.ReadAsStringAsync();
        Assert.That(multivariant.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        Assert.That(multivariant.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/vnd.apple.mpegurl"));
        Assert.That(multivariant.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("*"));
        Assert.That(text, Does.StartWith("#EXTM3U").And.Contain("#EXT-X-STREAM-INF:BANDWIDTH=").And.Contain("CODECS=\"avc1.").And.Contain("RESOLUTION=320x240"));
        var variant = text.Split('\n').Single(l => l.Length > 0 && !l.StartsWith('#'));
        Assert.That(variant, Does.Match(@"^stream\.m3u8\?session=[0-9a-f-]{36}&token="), "the session secret (and the query) travel in every URI");

        var base_ = multivariant.RequestMessage!.RequestUri!;
        var media = await http.GetStringAsync(new Uri(base_, variant));
        Assert.That(media, Does.Contain("#EXT-X-MAP:URI=\"init.mp4?session="));
        var segments = media.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.That(segments, Is.Not.Empty);
        Assert.That(segments, Is.All.Match(@"^seg\d+\.mp4\?session="));

        using var dir = new Support.TestDirectory();
        var file = dir.File("joined.mp4");
        await using (var output = File.Create(file))
        {
            await output.WriteAsync(await http.GetByteArrayAsync(new Uri(base_, "init.mp4?" + variant.Split('?')[1])));
            await output.WriteAsync(await http.GetByteArrayAsync(new Uri(base_, segments[0])));
        }
        var probed = MediaProbe.Read(file, countFrames: true);
        Assert.That((probed.Codec, probed.Width, probed.Height), Is.EqualTo(("h264", 320, 240)), "the virtual camera's stream, copied");
        Assert.That(probed.Frames, Is.GreaterThan(0));

        // Segments are served to the session only.
        using (var stranger = await http.GetAsync(new Uri(base_, segments[0].Split('?')[0])))
            Assert.That(stranger.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var asked = _f.StandIn.AuthHttp!.Asked.Where(a => a.Request.Protocol == "hls").ToList();
        Assert.That(asked.Select(a => (a.Request.Action, a.Request.Path, a.Status)), Is.EqualTo(new[] { ("read", "virtual0", (int?)200) }),
            "one question per playlist session, allowed by the service's hook");

        // One muxer per path, stopped after the close-after period without requests.
        var muxer = _f.StandIn.HlsMuxers["virtual0"];
        using (var again = await http.GetAsync(Playlist("?token=" + token)))
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(_f.StandIn.HlsMuxers, Is.EqualTo(new Dictionary<string, int> { ["virtual0"] = muxer }), "a second viewer shares the muxer");
        await MediaMtxFixture.Eventually(() => _f.StandIn.HlsMuxers.Count == 0 && !IsRunning(muxer), "the idle muxer stopped and its FFmpeg is gone", seconds: 20);
    }

    [Test]
    public async Task ABearerTokenIsAcceptedToo()
    {
        using var http = Client();
        // Past the cookie check at once: HttpClient drops Authorization on a redirect (a browser keeps it on the same origin).
        using var request = new HttpRequestMessage(HttpMethod.Get, Playlist("?cookieCheck=1"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _f.Host.Token(Role.Viewer));
        using var reply = await http.SendAsync(request);
        Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reply.Content.ReadAsStringAsync());
        Assert.That(_f.StandIn.AuthHttp!.Asked.Single(a => a.Request.Protocol == "hls").Request.Token, Is.Not.Empty, "the Bearer token is MediaMTX's token field");
    }

    private static bool IsRunning(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }
}
