using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Integration;

/// <summary>Authentication over real WebSocket connections to the real host.</summary>
public class AuthenticationTests
{
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private static JsonElement Result(JsonDocument d) => d.RootElement.GetProperty("result");
    private static int ErrorCode(JsonDocument d) => d.RootElement.GetProperty("error").GetProperty("code").GetInt32();

    [Test]
    public async Task PingNeedsAuthenticationThenAnswersPong()
    {
        await using var client = await _host.ConnectAsync();
        using var before = await client.CallAsync("ping");
        Assert.That(ErrorCode(before), Is.EqualTo(-32001));

        using var auth = await client.CallAsync("authenticate", $$"""{"auth_token":"{{_host.Token(Role.Viewer)}}"}""");
        var r = Result(auth);
        Assert.That(r.GetProperty("authenticated").GetBoolean(), Is.True);
        Assert.That(r.GetProperty("role").GetString(), Is.EqualTo("viewer"));
        Assert.That(r.GetProperty("permissions").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "view" }));
        Assert.That(r.GetProperty("session_id").GetString(), Is.Not.Empty);
        Assert.That(DateTimeOffset.Parse(r.GetProperty("expires_at").GetString()!), Is.GreaterThan(DateTimeOffset.UtcNow));

        using var after = await client.CallAsync("ping");
        Assert.That(Result(after).GetString(), Is.EqualTo("pong"));
    }

    [Test]
    public async Task FailedAuthenticationIsAResultNotAnError()
    {
        await using var client = await _host.ConnectAsync();
        using var reply = await client.CallAsync("authenticate", """{"auth_token":"eyJhbGciOiJIUzI1NiJ9.e30.bad"}""");
        Assert.That(reply.RootElement.TryGetProperty("error", out _), Is.False);
        Assert.That(Result(reply).GetProperty("authenticated").GetBoolean(), Is.False);
        Assert.That(Result(reply).GetProperty("error").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task TheOriginalSdksTokenParameterIsAccepted()
    {
        await using var client = await _host.ConnectAsync();
        using var reply = await client.CallAsync("authenticate", $$"""{"token":"{{_host.Token(Role.Operator)}}","auth_type":"jwt"}""");
        Assert.That(Result(reply).GetProperty("role").GetString(), Is.EqualTo("operator"));
        Assert.That(Result(reply).GetProperty("permissions").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task ApiKeyAuthenticatesWithItsRole()
    {
        var (_, key) = _host.Host.Authenticator.ApiKeys.Add(Role.Admin, "test");
        await using var client = await _host.ConnectAsync();
        using var reply = await client.CallAsync("authenticate", $$"""{"auth_token":"{{key}}","auth_type":"api_key"}""");
        Assert.That(Result(reply).GetProperty("role").GetString(), Is.EqualTo("admin"));
        Assert.That(Result(reply).GetProperty("permissions").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "view", "control", "admin" }));
        using var status = await client.CallAsync("get_status");
        Assert.That(Result(status).GetProperty("version").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task AuthTokenInParamsAuthorizesThatCallOnly()
    {
        await using var client = await _host.ConnectAsync();
        using var withToken = await client.CallAsync("ping", $$"""{"auth_token":"{{_host.Token(Role.Viewer)}}"}""");
        Assert.That(Result(withToken).GetString(), Is.EqualTo("pong"));
        using var without = await client.CallAsync("ping");
        Assert.That(ErrorCode(without), Is.EqualTo(-32001));
        using var bad = await client.CallAsync("ping", """{"auth_token":"garbage"}""");
        Assert.That(ErrorCode(bad), Is.EqualTo(-32001));
    }

    [Test]
    public async Task BearerHeaderOnTheUpgradeAuthenticatesTheConnection()
    {
        var token = _host.Token(Role.Admin);
        await using var client = await _host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        using var reply = await client.CallAsync("get_metrics");
        Assert.That(Result(reply).GetProperty("active_connections").GetInt64(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task ApiKeyHeaderOnTheUpgradeAuthenticatesTheConnection()
    {
        var (_, key) = _host.Host.Authenticator.ApiKeys.Add(Role.Viewer, "js client");
        await using var client = await _host.ConnectAsync(configure: o => o.SetRequestHeader("X-API-Key", key));
        using var ping = await client.CallAsync("ping");
        Assert.That(Result(ping).GetString(), Is.EqualTo("pong"));
        using var admin = await client.CallAsync("get_metrics");
        Assert.That(ErrorCode(admin), Is.EqualTo(-32003));
    }

    [Test]
    public async Task ExpiredBoundTokenAsksToAuthenticateAgain()
    {
        await using var client = await _host.ConnectAsync();
        var shortLived = _host.Host.Authenticator.Jwt.Mint("a", Role.Viewer, TimeSpan.FromSeconds(-31));
        using var auth = await client.CallAsync("authenticate", $$"""{"auth_token":"{{shortLived}}"}""");
        Assert.That(Result(auth).GetProperty("error").GetString(), Is.EqualTo("token expired"));
    }
}
