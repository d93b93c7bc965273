using System.Buffers.Text;
using System.Text;
using Appliance.Security;

namespace Appliance.Tests.Security;

public class JwtAuthorityTests
{
    private const string Secret = "unit-test-secret-0123456789abcdef0123456789";

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    // Builds a token by hand with the RFC's steps, so the tests do not trust the code under test to sign.
    private static string HandMade(string headerJson, string payloadJson, string secret = Secret) =>
        Appliance.Tests.Support.HandMadeJwt.Make(headerJson, payloadJson, secret);

    private static string Claims(string role = "operator", long? iat = null, long? exp = null) =>
        $$"""{"user_id":"u1","role":"{{role}}","iat":{{iat ?? T0.ToUnixTimeSeconds()}},"exp":{{exp ?? T0.AddHours(1).ToUnixTimeSeconds()}}}""";

    [Test]
    public void MintedTokenValidatesWithItsRoleUserAndExpiry()
    {
        var jwt = new JwtAuthority(() => Secret, new FixedTime(T0));
        var result = jwt.Validate(jwt.Mint("alice", Role.Admin, TimeSpan.FromHours(2)));
        Assert.That(result.Ok, Is.True, result.Error);
        Assert.That((result.Role, result.UserId, result.ExpiresAt), Is.EqualTo((Role.Admin, "alice", (DateTimeOffset?)T0.AddHours(2))));
    }

    [Test]
    public void AcceptsATokenSignedByAnotherHs256Implementation()
    {
        var result = new JwtAuthority(() => Secret, new FixedTime(T0)).Validate(HandMade("""{"alg":"HS256","typ":"JWT"}""", Claims("viewer")));
        Assert.That((result.Ok, result.Role), Is.EqualTo((true, Role.Viewer)));
    }

    [Test]
    public void ExpiredTokenIsRefused()
    {
        var clock = new FixedTime(T0);
        var jwt = new JwtAuthority(() => Secret, clock);
        var token = jwt.Mint("a", Role.Viewer, TimeSpan.FromMinutes(5));
        clock.Now = T0.AddMinutes(10);
        Assert.That(jwt.Validate(token).Error, Is.EqualTo("token expired"));
    }

    [Test]
    public void TokenIssuedInTheFutureIsRefused()
    {
        var token = HandMade("""{"alg":"HS256"}""", Claims(iat: T0.AddHours(1).ToUnixTimeSeconds(), exp: T0.AddHours(2).ToUnixTimeSeconds()));
        Assert.That(new JwtAuthority(() => Secret, new FixedTime(T0)).Validate(token).Error, Is.EqualTo("token issued in the future"));
    }

    [TestCase("""{"alg":"none"}""")]
    [TestCase("""{"alg":"HS512"}""")]
    [TestCase("""{"alg":"RS256"}""")]
    [TestCase("""{"typ":"JWT"}""")]
    public void AlgorithmIsPinnedToHs256(string header)
    {
        var result = new JwtAuthority(() => Secret, new FixedTime(T0)).Validate(HandMade(header, Claims()));
        Assert.That((result.Ok, result.Error), Is.EqualTo((false, "unsupported token algorithm")));
    }

    [Test]
    public void WrongSecretOrTamperedPayloadIsRefused()
    {
        var jwt = new JwtAuthority(() => Secret, new FixedTime(T0));
        Assert.That(jwt.Validate(HandMade("""{"alg":"HS256"}""", Claims(), "another-secret-0123456789abcdef0123456")).Error, Is.EqualTo("invalid token signature"));
        var parts = jwt.Mint("a", Role.Viewer, TimeSpan.FromHours(1)).Split('.');
        var forged = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Claims("admin"))) + "." + parts[2];
        Assert.That(jwt.Validate(forged).Error, Is.EqualTo("invalid token signature"));
    }

    [TestCase("not-a-token")]
    [TestCase("a.b")]
    [TestCase("!!.??.**")]
    [TestCase("")]
    public void MalformedTokensAreRefusedWithoutThrowing(string token)
    {
        var result = new JwtAuthority(() => Secret, new FixedTime(T0)).Validate(token);
        Assert.That(result.Ok, Is.False);
    }

    [Test]
    public void MissingClaimsAndUnknownRolesAreRefused()
    {
        var jwt = new JwtAuthority(() => Secret, new FixedTime(T0));
        Assert.That(jwt.Validate(HandMade("""{"alg":"HS256"}""", """{"role":"admin","iat":1}""")).Error, Does.Contain("lacks"));
        Assert.That(jwt.Validate(HandMade("""{"alg":"HS256"}""", Claims("root"))).Error, Does.Contain("unknown role"));
    }

    [Test]
    public void NoSecretMeansNoJwtAuthentication()
    {
        var token = new JwtAuthority(() => Secret, new FixedTime(T0)).Mint("a", Role.Admin, TimeSpan.FromHours(1));
        Assert.That(new JwtAuthority(() => "", new FixedTime(T0)).Validate(token).Ok, Is.False);
    }
}
