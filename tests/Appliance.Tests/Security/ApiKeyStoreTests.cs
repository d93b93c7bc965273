using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Security;

public class ApiKeyStoreTests
{
    [Test]
    public void AddedKeyAuthenticatesWithItsRoleAndIsStoredOnlyAsAHash()
    {
        using var dir = new TestDirectory();
        var file = dir.File("state/api-keys.json");
        var store = new ApiKeyStore(() => file);

        var (record, key) = store.Add(Role.Operator, "bench tool");

        var result = store.Validate(key);
        Assert.That((result.Ok, result.Role, result.Method), Is.EqualTo((true, Role.Operator, "api_key")));
        var onDisk = File.ReadAllText(file);
        Assert.That(onDisk, Does.Not.Contain(key));
        Assert.That(onDisk, Does.Not.Contain(key[^20..]));
        Assert.That(onDisk, Does.Contain(record.Sha256));
        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void UnknownOrAlteredKeysAreRefused()
    {
        using var dir = new TestDirectory();
        var store = new ApiKeyStore(() => dir.File("keys.json"));
        var (_, key) = store.Add(Role.Admin, "");
        var altered = key[..^1] + (key[^1] == 'A' ? 'B' : 'A');
        Assert.That(store.Validate(altered).Ok, Is.False);
        Assert.That(store.Validate("apk_00000000_nothing").Ok, Is.False);
        Assert.That(store.Validate("no-prefix").Ok, Is.False);
    }

    [Test]
    public void RevokedKeyStopsWorkingAndKeysChangedByAnotherProcessAreSeen()
    {
        using var dir = new TestDirectory();
        var file = dir.File("keys.json");
        var service = new ApiKeyStore(() => file);   // the running service
        var cli = new ApiKeyStore(() => file);       // the admin CLI, a separate process in real life
        Assert.That(service.List(), Is.Empty);

        var (record, key) = cli.Add(Role.Viewer, "laptop");
        Assert.That(service.Validate(key).Ok, Is.True, "a key added by the CLI works without a restart");

        Assert.That(cli.Revoke(record.Id), Is.True);
        Assert.That(service.Validate(key).Ok, Is.False, "a revoked key stops working without a restart");
        Assert.That(cli.Revoke(record.Id), Is.False);
    }

    [Test]
    public void CorruptKeyFileIsAClearError()
    {
        using var dir = new TestDirectory();
        var file = dir.Write("keys.json", "{ not json");
        var authenticator = new Authenticator(new JwtAuthority(() => "x"), new ApiKeyStore(() => file));
        var result = authenticator.Authenticate("apk_1234_abcd", "api_key");
        Assert.That(result.Ok, Is.False);
        Assert.That(result.Error, Does.Contain("corrupt"));
    }
}
