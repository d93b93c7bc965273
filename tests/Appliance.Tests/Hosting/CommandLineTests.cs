using System.Diagnostics;
using Appliance.Hosting;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting;

/// <summary>The real program (appliance.dll, as built) run as a child process.</summary>
public class CommandLineTests
{
    private const string Secret = "cli-test-secret-0123456789abcdef0123456789";

    private static (int Code, string Out, string Err) Run(params string[] args) => ApplianceCli.Run(args);

    private static string Config(TestDirectory dir, string extra = "") => dir.Write("appliance.toml",
        $"[server]\nenvironment = \"production\"\n[security]\njwt_secret = \"{Secret}\"\napi_keys_file = \"keys.json\"\n{extra}");

    [Test]
    public void VersionPrintsNameAndVersion()
    {
        var (code, output, _) = Run("--version");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output, Does.StartWith("camera-appliance " + AppInfo.Version));
    }

    [Test]
    public void CheckConfigExitsZeroForAValidFileAndOneWithEveryProblemListed()
    {
        using var dir = new TestDirectory();
        Assert.That(Run("--check-config", "--config", Config(dir)).Code, Is.EqualTo(0));

        var bad = dir.Write("bad.toml", "[server]\nprot = 1\nport = 0\n");
        var (code, _, err) = Run("--check-config", "--config", bad);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("bad.toml:2: server.prot = 1: unknown key (did you mean \"server.port\"?)"));
        Assert.That(err, Does.Contain("bad.toml:3: server.port = 0: must be between 1 and 65535"));
        Assert.That(err, Does.Contain("security.jwt_secret"));
    }

    [Test]
    public void MissingConfigFileAndBadArgumentsFailClearly()
    {
        var missing = Run("--check-config", "--config", "/nonexistent/x.toml");
        Assert.That((missing.Code, missing.Err.Contains("not found")), Is.EqualTo((1, true)));
        var usage = Run("--frobnicate");
        Assert.That((usage.Code, usage.Err.Contains("unknown argument '--frobnicate'")), Is.EqualTo((2, true)));
    }

    [Test]
    public void MintedJwtIsAcceptedWithTheRequestedRole()
    {
        using var dir = new TestDirectory();
        var (code, output, _) = Run("--mint-jwt", "operator", "--user", "tech1", "--config", Config(dir));
        Assert.That(code, Is.EqualTo(0));
        var result = new JwtAuthority(() => Secret).Validate(output.Trim());
        Assert.That((result.Ok, result.Role, result.UserId), Is.EqualTo((true, Role.Operator, "tech1")));
        Assert.That(Run("--mint-jwt", "root", "--config", Config(dir)).Code, Is.EqualTo(1));
    }

    [Test]
    public void ApiKeysCanBeAddedListedAndRevoked()
    {
        using var dir = new TestDirectory();
        var config = Config(dir);
        var added = Run("--add-api-key", "viewer", "--name", "field laptop", "--config", config);
        Assert.That(added.Code, Is.EqualTo(0));
        var key = added.Out.Trim();
        var store = new ApiKeyStore(() => dir.File("keys.json"));
        Assert.That(store.Validate(key).Role, Is.EqualTo(Role.Viewer));

        var listed = Run("--list-api-keys", "--config", config).Out;
        var id = store.List().Single().Id;
        Assert.That(listed, Does.Contain(id).And.Contain("viewer").And.Contain("field laptop").And.Not.Contain(key));

        Assert.That(Run("--revoke-api-key", id, "--config", config).Code, Is.EqualTo(0));
        Assert.That(store.Validate(key).Ok, Is.False);
        Assert.That(Run("--revoke-api-key", id, "--config", config).Code, Is.EqualTo(1));
    }
}
