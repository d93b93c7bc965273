using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>Forged and out-of-time JWTs through the three doors a WebSocket client has: authenticate
/// (result authenticated:false with the reason), a per-call auth_token (-32001) and the upgrade's
/// Authorization header (the connection stays anonymous).</summary>
public class TokenAbuseTests
{
    private const string Hs256 = """{"alg":"HS256","typ":"JWT"}""";
    private RunningHost _host = null!;

    [OneTimeSetUp]
    public async Task Start() => _host = await RunningHost.StartAsync(securityExtra: "auth_failures_per_minute = 10000");

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static IEnumerable<TestCaseData> BadTokens()
    {
        var secret = RunningHost.Secret;
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now - 7200, Now - 3600), secret)), "token expired").SetName("Expired");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now - 10, Now + 3600, nbf: Now + 600), secret)), "nbf").SetName("NotBeforeInTheFuture");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now + 600, Now + 3600), secret)), "issued in the future").SetName("IssuedInTheFuture");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Unsigned("""{"alg":"none","typ":"JWT"}""", HandMadeJwt.Claims("admin", Now, Now + 3600))), "algorithm").SetName("AlgNoneUnsigned");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make("""{"alg":"none","typ":"JWT"}""", HandMadeJwt.Claims("admin", Now, Now + 3600), secret)), "algorithm").SetName("AlgNoneWithAValidHs256Signature");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make("""{"alg":"HS512","typ":"JWT"}""", HandMadeJwt.Claims("admin", Now, Now + 3600), secret, hs512: true)), "algorithm").SetName("AlgHs512");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now, Now + 31L * 86400), secret)), "lifetime").SetName("LifetimeOverTheMaximum");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now - 40L * 86400, Now + 3600), secret)), "lifetime").SetName("OldIatStillValidExpButOverLong");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now, Now + 3600), secret + "x")), "signature").SetName("WrongSignature");
        yield return new TestCaseData((Func<string>)(() => HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("root", Now, Now + 3600), secret)), "role").SetName("UnknownRole");
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task RefusedByAuthenticate(Func<string> make, string reason)
    {
        await using var client = await _host.ConnectAsync();
        using var reply = await client.CallAsync("authenticate", $$"""{"auth_token":"{{make()}}"}""");
        var result = reply.RootElement.GetProperty("result");
        Assert.That(result.GetProperty("authenticated").GetBoolean(), Is.False, reply.RootElement.GetRawText());
        Assert.That(result.GetProperty("error").GetString(), Does.Contain(reason));
        using var ping = await client.CallAsync("ping");
        Assert.That(ReplyShape.ErrorCode(ping.RootElement), Is.EqualTo(-32001), "the connection stays anonymous");
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task RefusedAsAPerCallToken(Func<string> make, string reason)
    {
        await using var client = await _host.ConnectAsync();
        using var reply = await client.CallAsync("get_metrics", $$"""{"auth_token":"{{make()}}"}""");
        var error = reply.RootElement.GetProperty("error");
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(-32001), reply.RootElement.GetRawText());
        Assert.That(error.GetProperty("message").GetString(), Does.Contain(reason));
    }

    [TestCaseSource(nameof(BadTokens))]
    public async Task RefusedOnTheUpgradeHeader(Func<string> make, string reason)
    {
        var token = make();
        await using var client = await _host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + token));
        using var ping = await client.CallAsync("ping");
        Assert.That(ReplyShape.ErrorCode(ping.RootElement), Is.EqualTo(-32001), $"a {reason} token on the upgrade must not authenticate: {ping.RootElement.GetRawText()}");
    }

    [Test]
    public async Task TheSameClaimsProperlySignedAreAcceptedThroughEveryDoor()
    {
        // The control: what the cases above change is what makes them fail.
        var good = HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("admin", Now - 60, Now + 3600, nbf: Now - 60), RunningHost.Secret);
        await using (var client = await _host.ConnectAsync())
        {
            using var auth = await client.CallAsync("authenticate", $$"""{"auth_token":"{{good}}"}""");
            Assert.That(auth.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.True, auth.RootElement.GetRawText());
            await using var other = await _host.ConnectAsync();
            using var perCall = await other.CallAsync("get_metrics", $$"""{"auth_token":"{{good}}"}""");
            Assert.That(perCall.RootElement.TryGetProperty("result", out _), Is.True, perCall.RootElement.GetRawText());
        }
        await using var header = await _host.ConnectAsync(configure: o => o.SetRequestHeader("Authorization", "Bearer " + good));
        using var metrics = await header.CallAsync("get_metrics");
        Assert.That(metrics.RootElement.TryGetProperty("result", out _), Is.True, metrics.RootElement.GetRawText());
        // Exactly at the maximum lifetime is still allowed (the cap is "more than").
        var longest = HandMadeJwt.Make(Hs256, HandMadeJwt.Claims("viewer", Now, Now + 30L * 86400), RunningHost.Secret);
        await using var c2 = await _host.ConnectAsync();
        using var ok = await c2.CallAsync("authenticate", $$"""{"auth_token":"{{longest}}"}""");
        Assert.That(ok.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.True, ok.RootElement.GetRawText());
    }
}
