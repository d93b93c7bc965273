using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Tests.StandIn;

/// <summary>With AuthHttpAddress the stand-in asks an auth server before every API request, with
/// the body and credential rules of MediaMTX v1.20.1 (internal/auth/manager.go, httpp/credentials.go).
/// The auth server here is a recorder that allows one user/password and one token.</summary>
public class MediaMtxStandInAuthHttpTests
{
    private sealed class RecordingAuthServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public ConcurrentQueue<JsonObject> Bodies { get; } = new();

        private RecordingAuthServer(WebApplication app) => _app = app;

        public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/auth";

        public static async Task<RecordingAuthServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new RecordingAuthServer(app);
            app.MapPost("/auth", async (HttpContext context) =>
            {
                var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
                server.Bodies.Enqueue(body);
                var ok = ((string?)body["user"] == "mtx" && (string?)body["password"] == "s3cret") || (string?)body["token"] == "tok";
                context.Response.StatusCode = ok ? 200 : 401;
            });
            await app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    private static Task<MediaMtxStandIn> StartAsync(RecordingAuthServer auth) => MediaMtxStandIn.StartAsync(new StandInOptions
    {
        ApiPort = 0,
        RtspPort = 0,
        AuthHttpAddress = auth.Address,
        WrongCredentialsPause = TimeSpan.FromMilliseconds(100),
    });

    [Test]
    public async Task BasicCredentialsArePostedAsMediaMtxDoesAndAllowedWhenTheServerSays2xx()
    {
        await using var auth = await RecordingAuthServer.StartAsync();
        await using var standIn = await StartAsync(auth);
        using var client = new StandInClient(standIn);
        client.UseBasicAuth("mtx", "s3cret");

        var reply = await client.GetAsync("/v3/config/global/get?x=1");

        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That((string?)reply.Json["authMethod"], Is.EqualTo("http"));
        Assert.That((string?)reply.Json["authHTTPAddress"], Is.EqualTo(auth.Address));
        Assert.That(auth.Bodies.TryDequeue(out var dequeued), Is.True);
        var body = dequeued!;
        Assert.That(body.Select(p => p.Key), Is.EquivalentTo(new[] { "ip", "user", "password", "token", "action", "path", "protocol", "id", "query", "userAgent" }));
        Assert.That(((string?)body["action"], (string?)body["user"], (string?)body["password"], (string?)body["token"], (string?)body["ip"], (string?)body["query"]),
            Is.EqualTo(("api", "mtx", "s3cret", "s3cret", "127.0.0.1", "x=1")), "MediaMTX copies the password into token");
        Assert.That(body["id"], Is.Null);
    }

    [Test]
    public async Task ABearerTokenGoesInTokenAndBearerUserColonPassIsAUserAndPassword()
    {
        await using var auth = await RecordingAuthServer.StartAsync();
        await using var standIn = await StartAsync(auth);
        using var client = new StandInClient(standIn);

        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "tok");
        Assert.That((await client.GetAsync("/v3/config/paths/list")).Status, Is.EqualTo(200));
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "mtx:s3cret");
        Assert.That((await client.GetAsync("/v3/config/paths/list")).Status, Is.EqualTo(200));

        var bodies = auth.Bodies.ToArray();
        Assert.That(((string?)bodies[0]["user"], (string?)bodies[0]["token"]), Is.EqualTo(("", "tok")));
        Assert.That(((string?)bodies[1]["user"], (string?)bodies[1]["password"]), Is.EqualTo(("mtx", "s3cret")));
    }

    [Test]
    public async Task NoCredentialGetsAChallengeAndAWrongOneA401WithoutOne()
    {
        await using var auth = await RecordingAuthServer.StartAsync();
        await using var standIn = await StartAsync(auth);
        using var client = new StandInClient(standIn);

        using (var none = await client.Http.GetAsync("v3/config/paths/list"))
        {
            Assert.That((int)none.StatusCode, Is.EqualTo(401));
            Assert.That(none.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Basic realm=\"mediamtx\""));
        }
        client.UseBasicAuth("mtx", "wrong");
        using var wrong = await client.Http.GetAsync("v3/config/paths/list");
        Assert.That((int)wrong.StatusCode, Is.EqualTo(401));
        Assert.That(wrong.Headers.WwwAuthenticate, Is.Empty);
        Assert.That(auth.Bodies, Has.Count.EqualTo(2), "the auth server was asked both times");
        Assert.That(standIn.AuthHttp!.Asked.Select(a => a.Status), Is.EqualTo(new int?[] { 401, 401 }));
    }

    [Test]
    public async Task AnAuthServerThatDoesNotAnswerRefuses()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions
        {
            ApiPort = 0, RtspPort = 0, AuthHttpAddress = "http://127.0.0.1:1/auth", WrongCredentialsPause = TimeSpan.Zero,
        });
        using var client = new StandInClient(standIn);
        client.UseBasicAuth("mtx", "s3cret");
        Assert.That((await client.GetAsync("/v3/config/paths/list")).Status, Is.EqualTo(401));
    }
}
