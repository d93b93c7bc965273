using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Appliance.Security;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.MediaMtx;

namespace Appliance.Tests.MediaOps;

/// <summary>
/// GET|HEAD /api/cameras/{id}/snapshot.jpg|png over real Kestrel, real FFmpeg on the virtual camera
/// (320x240 test pattern), with the MediaMTX stand-in. A fake V4L2 node (a plain file) stands for a
/// camera that cannot be captured, and one marked "denied" for a camera in ERROR.
/// </summary>
[NonParallelizable]
public class StillImageTests
{
    private MediaMtxFixture _f = null!;
    private HttpClient _http = null!;
    private string _brokenDevice = "";
    private string _deniedDevice = "";

    [OneTimeSetUp]
    public async Task Start()
    {
        _f = await MediaMtxFixture.StartAsync(new StandInOptions { UseRelay = true, CommandRestartPause = TimeSpan.FromSeconds(1) }, cameraNodes: ["video0"],
            prepare: dir => File.WriteAllText(dir.File("dev/video2"), "denied"));
        _brokenDevice = Path.Combine(_f.Host.DataDir, "dev", "video0");
        _deniedDevice = Path.Combine(_f.Host.DataDir, "dev", "video2");
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Cameras.Find("virtual0")?.IsConnected == true, "virtual camera up");
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Cameras.Find(_brokenDevice)?.IsConnected == true, "fake camera up");
        await MediaMtxFixture.Eventually(() => _f.Host.Host.Cameras.Find(_deniedDevice) is not null, "denied camera seen");
        _http = new HttpClient { BaseAddress = _f.Host.HttpUri };
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http.Dispose();
        await _f.DisposeAsync();
    }

    private HttpRequestMessage Get(string url, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _f.Host.Token(Role.Viewer));
        return request;
    }

    private async Task<byte[]> ImageAsync(string url, string contentType)
    {
        using var response = await _http.SendAsync(Get(url));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), Encoding.UTF8.GetString(body));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(contentType));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True, "Cache-Control: no-store");
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(body.Length));
        return body;
    }

    // Decoded by ffprobe from a file outside the snapshots folder: a real, whole image of this size.
    private static (string Codec, int Width, int Height) Probe(byte[] image, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"still-{Guid.NewGuid():N}.{extension}");
        File.WriteAllBytes(path, image);
        try
        {
            var info = MediaProbe.Read(path);
            return (info.Codec, info.Width, info.Height);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int Width, int Height) PngHeader(byte[] png) =>
        (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));

    [Test]
    public async Task AJpegOfTheCameraAtItsOwnSizeOrShrunkToTheAskedWidth()
    {
        var full = await ImageAsync("/api/cameras/virtual0/snapshot.jpg", "image/jpeg");
        Assert.That((full[0], full[1], full[^2], full[^1]), Is.EqualTo(((byte)0xFF, (byte)0xD8, (byte)0xFF, (byte)0xD9)), "JPEG SOI ... EOI");
        Assert.That(Probe(full, "jpg"), Is.EqualTo(("mjpeg", 320, 240)));

        var small = await ImageAsync("/api/cameras/virtual0/snapshot.jpg?width=160", "image/jpeg");
        Assert.That(Probe(small, "jpg"), Is.EqualTo(("mjpeg", 160, 120)), "aspect ratio kept");
        var boxed = await ImageAsync("/api/cameras/virtual0/snapshot.jpg?width=200&height=100", "image/jpeg");
        Assert.That(Probe(boxed, "jpg").Height, Is.EqualTo(100), "fits the box");
        var big = await ImageAsync("/api/cameras/virtual0/snapshot.jpg?width=3840", "image/jpeg");
        Assert.That(Probe(big, "jpg").Width, Is.EqualTo(320), "never enlarged");
    }

    [Test]
    public async Task APngWithItsHeaderSizeAndTheCameraAddressedByStreamPath()
    {
        var png = await ImageAsync("/api/cameras/virtual0/snapshot.png?height=120", "image/png");
        Assert.That(png.AsSpan(0, 8).ToArray(), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.That(PngHeader(png), Is.EqualTo((160, 120)));
        Assert.That(Probe(png, "png"), Is.EqualTo(("png", 160, 120)));

        // The fake camera by its stream path (camera0) and by its URL-encoded device path: both find it (and it cannot be captured).
        var streamPath = _f.Host.Host.Cameras.Find(_brokenDevice)!.StreamPath;
        foreach (var id in new[] { streamPath, Uri.EscapeDataString(_brokenDevice) })
        {
            using var response = await _http.SendAsync(Get($"/api/cameras/{id}/snapshot.png"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), id);
        }
    }

    [Test]
    public async Task QualityChangesTheSizeOfAJpeg()
    {
        var low = await ImageAsync("/api/cameras/virtual0/snapshot.jpg?quality=5", "image/jpeg");
        var high = await ImageAsync("/api/cameras/virtual0/snapshot.jpg?quality=98", "image/jpeg");
        Assert.That(low.Length, Is.LessThan(high.Length));
    }

    [Test]
    public async Task NeverAnonymousAndEveryDocumentedCredentialWorks()
    {
        const string url = "/api/cameras/virtual0/snapshot.jpg?width=64";
        using (var none = await _http.GetAsync(url))
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(none.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic realm=\"appliance\", charset=\"UTF-8\"").And.Contains("Bearer"));
            Assert.That(await none.Content.ReadAsStringAsync(), Does.Contain("Authentication required"));
        }
        // Unauthenticated: not even whether a camera exists is told.
        using (var none = await _http.GetAsync("/api/cameras/nope/snapshot.jpg"))
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        var (_, key) = _f.Host.Host.Authenticator.ApiKeys.Add(Role.Viewer, "home-assistant");
        var jwt = _f.Host.Token(Role.Viewer);
        string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var accepted = new (string What, Action<HttpRequestMessage> Sign)[]
        {
            ("Basic with an API key", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Basic("homeassistant", key))),
            ("Basic with a JWT and no user name", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Basic("", jwt))),
            ("Bearer", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", jwt)),
            ("X-API-Key", r => r.Headers.Add("X-API-Key", key)),
        };
        foreach (var (what, sign) in accepted)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            sign(request);
            using var response = await _http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), what);
            Assert.That((await response.Content.ReadAsByteArrayAsync())[..2], Is.EqualTo(new byte[] { 0xFF, 0xD8 }), what);
        }

        var refused = new (string What, Action<HttpRequestMessage> Sign)[]
        {
            ("Basic with a wrong password", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Basic("homeassistant", "apk_00000000_wrong"))),
            ("Basic that is no base64", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", "%%%not-base64")),
            ("Basic without a colon", r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key)))),
        };
        foreach (var (what, sign) in refused)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            sign(request);
            using var response = await _http.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), what);
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic realm=\"appliance\""), what);
        }
    }

    [TestCase("/api/cameras/nope/snapshot.jpg")]
    [TestCase("/api/cameras/%2Fdev%2Fvideo7/snapshot.png")]
    public async Task AnUnknownCameraIs404(string url)
    {
        using var response = await _http.SendAsync(Get(url));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("Camera not found: "));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
    }

    [TestCase("width=abc", "width")]
    [TestCase("width=8", "width")]
    [TestCase("width=3841", "width")]
    [TestCase("width=-16", "width")]
    [TestCase("width=160&width=200", "width")]
    [TestCase("height=0", "height")]
    [TestCase("quality=0", "quality")]
    [TestCase("quality=101", "quality")]
    public async Task ABadQueryValueIs400NamingTheParameter(string query, string parameter)
    {
        using var response = await _http.SendAsync(Get("/api/cameras/virtual0/snapshot.jpg?" + query));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith($"'{parameter}' "));
    }

    [Test]
    public async Task ACameraThatCannotBeCapturedIs503WithTheReason()
    {
        using (var response = await _http.SendAsync(Get($"/api/cameras/{Uri.EscapeDataString(_brokenDevice)}/snapshot.jpg")))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith($"No still image of {_brokenDevice}: cannot capture"));
        }
        using (var response = await _http.SendAsync(Get($"/api/cameras/{Uri.EscapeDataString(_deniedDevice)}/snapshot.jpg")))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("is ERROR: permission denied"));
        }
    }

    [Test]
    public async Task HeadAnswersTheHeadersOfTheImageWithoutABody()
    {
        using var response = await _http.SendAsync(Get("/api/cameras/virtual0/snapshot.jpg?width=96", HttpMethod.Head));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
        Assert.That(response.Content.Headers.ContentLength, Is.GreaterThan(100));
        Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    [Test]
    public async Task RequestsForTheSamePictureAtOnceShareOneFfmpegRun()
    {
        var stills = _f.Host.Host.Stills;
        var before = stills.Captures;
        const string url = "/api/cameras/virtual0/snapshot.jpg?width=208&quality=77";
        var images = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => ImageAsync(url, "image/jpeg")));
        Assert.That(stills.Captures - before, Is.EqualTo(1), "one FFmpeg run for both");
        Assert.That(images[0], Is.EqualTo(images[1]), "the same picture");

        // A different variant is a different picture: its own run.
        await ImageAsync("/api/cameras/virtual0/snapshot.jpg?width=208&quality=78", "image/jpeg");
        Assert.That(stills.Captures - before, Is.EqualTo(2));
    }

    [Test]
    public async Task NoFileIsWrittenAndNoSnapshotEventPublished()
    {
        var taken = 0;
        using var _ = _f.Host.Host.Events.On<Appliance.Media.Snapshots.SnapshotTaken>("still-test", e => Interlocked.Increment(ref taken));
        await ImageAsync("/api/cameras/virtual0/snapshot.jpg?width=112", "image/jpeg");
        await ImageAsync("/api/cameras/virtual0/snapshot.png?width=112", "image/png");
        await _f.Host.Host.Events.FlushAsync();
        var snapshots = Path.Combine(_f.Host.DataDir, "snapshots");
        Assert.That(Directory.Exists(snapshots) ? Directory.GetFiles(snapshots, "*", SearchOption.AllDirectories) : [], Is.Empty);
        Assert.That(taken, Is.Zero);
    }
}
