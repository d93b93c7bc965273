using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Appliance.Tests.Support;
using Appliance.WebConsole;

namespace Appliance.Tests.WebConsole;

/// <summary>The web console's files over real Kestrel: the page and its modules, the security
/// headers, the strong ETag (304), gzip made once and decoding to the same bytes.</summary>
public sealed class ConsoleEndpointsTests
{
    [Test]
    public async Task The_page_is_served_at_the_root_with_a_strict_policy()
    {
        await using var host = await RunningHost.StartAsync(extraToml: "[mediamtx]\nhls_port = 18888\nwebrtc_port = 18889");
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        using var response = await http.GetAsync("/");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/html; charset=utf-8"));
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.That(csp, Does.StartWith("default-src 'self';"));
        Assert.That(csp, Does.Contain("connect-src 'self' http://127.0.0.1:18888 http://127.0.0.1:18889;"));
        Assert.That(csp, Does.Contain("media-src 'self' blob: http://127.0.0.1:18888 http://127.0.0.1:18889;"));
        Assert.That(csp, Does.Contain("img-src 'self' blob: data:;"));
        Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
        Assert.That(csp, Does.Not.Contain("unsafe"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
        Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
        Assert.That(response.Headers.CacheControl!.NoCache, Is.True);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("<script type=\"module\" src=\"/console/app.js\"></script>"));
    }

    [Test]
    public async Task Every_module_the_page_names_is_served_as_JavaScript()
    {
        await using var host = await RunningHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        var html = await http.GetStringAsync("/");
        var names = System.Text.RegularExpressions.Regex.Matches(html, "/console/([a-z]+\\.(?:js|css))").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.That(names, Has.Count.GreaterThanOrEqualTo(8));
        foreach (var name in names)
        {
            using var r = await http.GetAsync($"/console/{name}");
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), name);
            Assert.That(r.Content.Headers.ContentType!.MediaType, Is.EqualTo(name.EndsWith(".js") ? "text/javascript" : "text/css"), name);
        }
        using var missing = await http.GetAsync("/console/nothing.js");
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_known_ETag_is_answered_304_and_gzip_decodes_to_the_same_bytes()
    {
        await using var host = await RunningHost.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = host.HttpUri };
        using var plain = await http.GetAsync("/console/live.js");
        var plainBytes = await plain.Content.ReadAsByteArrayAsync();
        var etag = plain.Headers.ETag!;
        Assert.That(etag.IsWeak, Is.False);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/console/live.js");
        conditional.Headers.IfNoneMatch.Add(etag);
        using var notModified = await http.SendAsync(conditional);
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));

        using var zipped = new HttpRequestMessage(HttpMethod.Get, "/console/live.js");
        zipped.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var gz = await http.SendAsync(zipped);
        Assert.That(gz.Content.Headers.ContentEncoding, Is.EqualTo(new[] { "gzip" }));
        var compressed = await gz.Content.ReadAsByteArrayAsync();
        Assert.That(compressed.Length, Is.LessThan(plainBytes.Length / 2));
        using var inflate = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var copy = new MemoryStream();
        await inflate.CopyToAsync(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(plainBytes));
        Assert.That(gz.Headers.ETag, Is.EqualTo(etag), "one entity, two encodings: the same strong tag (Vary: Accept-Encoding)");
    }

    [TestCase("gzip", true)]
    [TestCase("br, gzip;q=0.5", true)]
    [TestCase("gzip;q=0", false)]
    [TestCase("gzip; q=0.000", false)]
    [TestCase("*", true)]
    [TestCase("br, deflate", false)]
    [TestCase("", false)]
    public void Accept_encoding_is_read_with_its_weights(string header, bool gzip) =>
        Assert.That(ConsoleEndpoints.AcceptsGzip(header), Is.EqualTo(gzip));

    [TestCase("camera.local", "camera.local")]
    [TestCase("[::1]", "::1")]
    [TestCase("bad host", "")]
    [TestCase("[", "")]
    [TestCase("x\"; script-src *", "")]
    public void Only_a_plain_host_name_reaches_the_policy(string host, string expected) =>
        Assert.That(ConsolePolicy.SafeHost(host), Is.EqualTo(expected));
}
