using System.Diagnostics;
using System.Net.Http.Headers;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>With a user set, requests need HTTP Basic auth (authInternalUsers with action "api").</summary>
public class MediaMtxStandInAuthTests
{
    private static Task<MediaMtxStandIn> StartAsync() => MediaMtxStandIn.StartAsync(new StandInOptions
    {
        ApiPort = 0,
        RtspPort = 0,
        Username = "mtx",
        Password = "s3cret",
        WrongCredentialsPause = TimeSpan.FromMilliseconds(300),
    });

    [Test]
    public async Task NoCredentialsGetAChallengeAtOnce()
    {
        await using var standIn = await StartAsync();
        using var client = new StandInClient(standIn);

        using var response = await client.Http.GetAsync("v3/config/paths/list");

        Assert.That((int)response.StatusCode, Is.EqualTo(401));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Basic realm=\"mediamtx\""));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("""{"status":"error","error":"authentication error"}"""));
    }

    [Test]
    public async Task WrongCredentialsAreRefusedAfterAPause()
    {
        await using var standIn = await StartAsync();
        using var client = new StandInClient(standIn);
        client.UseBasicAuth("mtx", "wrong");
        var clock = Stopwatch.StartNew();

        var reply = await client.GetAsync("/v3/config/paths/list");

        Assert.That(reply.Status, Is.EqualTo(401));
        Assert.That(clock.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)));
    }

    [Test]
    public async Task RightCredentialsAreServedAndTheUserShowsInTheGlobalConfiguration()
    {
        await using var standIn = await StartAsync();
        using var client = new StandInClient(standIn);
        client.UseBasicAuth("mtx", "s3cret");

        var reply = await client.GetAsync("/v3/config/global/get");

        Assert.That(reply.Status, Is.EqualTo(200));
        var user = reply.Json["authInternalUsers"]![0]!;
        Assert.That((string?)user["user"], Is.EqualTo("mtx"));
        Assert.That((string?)user["permissions"]![0]!["action"], Is.EqualTo("api"));
    }

    [Test]
    public async Task OtherSchemesAreTreatedAsNoCredentials()
    {
        await using var standIn = await StartAsync();
        using var client = new StandInClient(standIn);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "token");

        using var response = await client.Http.GetAsync("v3/config/paths/list");

        Assert.That((int)response.StatusCode, Is.EqualTo(401));
        Assert.That(response.Headers.WwwAuthenticate, Is.Not.Empty);
    }
}
