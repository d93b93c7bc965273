using Appliance.Configuration;

namespace Appliance.Tests.Packaging;

/// <summary>
/// The image's pieces agree with each other: every path the service writes with the shipped config is
/// one appliance.service's sandbox lets it write (ProtectSystem=strict makes everything else read-only),
/// tmpfiles.d creates those directories for the service's user, sysusers.d makes that user and its
/// groups, and udev plus DeviceAllow= give it the cameras and GPIO chips.
/// </summary>
public class SandboxPathsTests
{
    private static readonly UnitFile Unit = new(PackagingFiles.Path("systemd/appliance.service"));

    private static ApplianceConfig ShippedConfig()
    {
        var loaded = ConfigLoader.LoadFile(PackagingFiles.Path("rootfs-overlay/etc/appliance/appliance.toml"),
            new Dictionary<string, string> { ["APPLIANCE_SECURITY_JWT_SECRET"] = new string('s', 48) });
        Assert.That(loaded.Problems, Is.Empty);
        return loaded.Config!;
    }

    /// <summary>Every directory the service creates or writes files in (FFmpeg output, atomic writes
    /// through a temp file beside the target, the API key store, retention policy and OTA state).</summary>
    private static IEnumerable<(string What, string Directory)> WritePaths(ApplianceConfig c) =>
    [
        ("recording.path", c.Recording.Path),
        ("snapshots.path", c.Snapshots.Path),
        ("storage.state_dir", c.Storage.StateDir),
        ("security.api_keys_file", Path.GetDirectoryName(c.Security.ApiKeysFile)!),
        ("server.tls_directory", Appliance.Security.Tls.DeviceCertificate.DirectoryFor(c)),
    ];

    private static List<string> WritableRoots()
    {
        Assert.That(Unit.One("ProtectSystem"), Is.EqualTo("strict"), "everything but the allowed paths is read-only");
        var roots = Unit.Words("ReadWritePaths").Select(p => p.TrimStart('-')).ToList();
        roots.AddRange(Unit.Words("StateDirectory").Select(d => "/var/lib/" + d));
        if (Unit.One("PrivateTmp") == "yes") roots.Add("/tmp");
        return roots;
    }

    private static bool Under(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    [Test]
    public void EveryPathTheServiceWritesIsAllowedByTheSandbox()
    {
        var roots = WritableRoots();
        Assert.That(roots, Does.Contain("/var/lib/appliance"));
        foreach (var (what, dir) in WritePaths(ShippedConfig()))
            Assert.That(roots.Any(r => Under(dir, r)), Is.True, $"{what} = {dir} is outside the sandbox's writable paths ({string.Join(", ", roots)})");
    }

    [Test]
    public void TheCheckWouldCatchAPathOutsideTheSandbox()
    {
        // The same rule applied to a config that records elsewhere: proves the test above can fail.
        var c = ShippedConfig();
        c.Recording.Path = "/srv/recordings";
        var outside = WritePaths(c).Where(p => !WritableRoots().Any(r => Under(p.Directory, r))).Select(p => p.What);
        Assert.That(outside, Is.EqualTo(new[] { "recording.path" }));
    }

    [Test]
    public void TmpfilesCreatesEachDataDirectoryForTheServiceUser()
    {
        var user = Unit.One("User");
        Assert.That(user, Is.EqualTo("appliance"));
        var lines = File.ReadAllLines(PackagingFiles.Path("rootfs-overlay/usr/lib/tmpfiles.d/appliance.conf"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        foreach (var (what, dir) in WritePaths(ShippedConfig()))
        {
            var entry = lines.FirstOrDefault(f => f[0] == "d" && f[1] == dir);
            Assert.That(entry, Is.Not.Null, $"tmpfiles.d has no 'd {dir}' for {what}");
            Assert.That(entry![3], Is.EqualTo(user), $"{dir} owner");
            Assert.That(Convert.ToInt32(entry[2], 8) & 0b111, Is.EqualTo(0), $"{dir} is not for others ({entry[2]})");
        }
    }

    [Test]
    public void SysusersMakesTheServiceUserWithItsGroups()
    {
        var lines = File.ReadAllLines(PackagingFiles.Path("rootfs-overlay/usr/lib/sysusers.d/appliance.conf"))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        var user = Unit.One("User")!;
        Assert.That(lines.Any(f => f[0] == "u" && f[1] == user), Is.True, "user " + user);
        foreach (var group in Unit.Words("SupplementaryGroups"))
        {
            Assert.That(lines.Any(f => f[0] == "m" && f[1] == user && f[2] == group), Is.True, $"{user} is a member of {group}");
            // video is one of Debian's static groups; any other must be made here.
            if (group != "video") Assert.That(lines.Any(f => f[0] == "g" && f[1] == group), Is.True, "group " + group);
        }
        var media = new UnitFile(PackagingFiles.Path("systemd/mediamtx.service"));
        Assert.That(lines.Any(f => f[0] == "u" && f[1] == media.One("User")), Is.True, "user " + media.One("User"));
    }

    [Test]
    public void DevicesTheServiceOpensAreAllowedAndOwnedByItsGroups()
    {
        Assert.That(Unit.One("DevicePolicy"), Is.EqualTo("closed"));
        var allowed = Unit.All("DeviceAllow").ToList();
        Assert.That(allowed, Does.Contain("char-video4linux rw"));
        Assert.That(allowed, Does.Contain("char-gpiochip rw"));
        var rules = File.ReadAllText(PackagingFiles.Path("rootfs-overlay/etc/udev/rules.d/60-appliance.rules"));
        Assert.That(rules, Does.Match(@"SUBSYSTEM==""gpio"", KERNEL==""gpiochip\[0-9\]\*"", GROUP=""gpio"", MODE=""0660"""));
        Assert.That(rules, Does.Match(@"SUBSYSTEM==""video4linux"", GROUP=""video"""));
        Assert.That(Unit.Words("RestrictAddressFamilies"), Is.SupersetOf(new[] { "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK" }));
        Assert.That(Unit.One("CapabilityBoundingSet"), Is.Empty, "no capabilities");
        Assert.That(Unit.One("NoNewPrivileges"), Is.EqualTo("yes"));
    }

    [Test]
    public void TheServiceReadsTheSecretThatTheFirstBootUnitWrites()
    {
        var secret = new UnitFile(PackagingFiles.Path("systemd/appliance-secret.service"));
        var file = Unit.One("EnvironmentFile");
        Assert.That(file, Is.EqualTo("/var/lib/appliance/state/jwt-secret.env"));
        Assert.That(secret.One("ConditionPathExists", "Unit"), Is.EqualTo("!" + file));
        Assert.That(secret.One("ExecStart"), Does.Contain("> " + file + ".new").And.Contain("APPLIANCE_SECURITY_JWT_SECRET="));
        Assert.That(Unit.All("After", "Unit").SelectMany(v => v.Split(' ')), Does.Contain("appliance-secret.service"));
        Assert.That(secret.One("User"), Is.EqualTo(Unit.One("User")));
    }

    [Test]
    public void TheFirstBootCommandWritesASecretTheServiceAccepts()
    {
        // Run the unit's own command (systemd's unescaping applied: %% -> %, \\ -> \) against a temp dir.
        using var dir = new Appliance.Tests.Support.TestDirectory();
        var command = new UnitFile(PackagingFiles.Path("systemd/appliance-secret.service")).One("ExecStart")!;
        Assert.That(command, Does.StartWith("/bin/sh -c '"));
        var script = command["/bin/sh -c '".Length..^1].Replace("%%", "%").Replace(@"\\", @"\").Replace("/var/lib/appliance/state", dir.Path);
        using (var sh = System.Diagnostics.Process.Start("/bin/sh", ["-c", script])) { sh.WaitForExit(10_000); Assert.That(sh.ExitCode, Is.EqualTo(0)); }

        var lines = File.ReadAllLines(dir.File("jwt-secret.env"));
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Match("^APPLIANCE_SECURITY_JWT_SECRET=[A-Za-z0-9+/=]{64}$"));
        var env = new Dictionary<string, string> { ["APPLIANCE_SECURITY_JWT_SECRET"] = lines[0].Split('=', 2)[1] };
        Assert.That(ConfigLoader.LoadFile(PackagingFiles.Path("rootfs-overlay/etc/appliance/appliance.toml"), env).Problems, Is.Empty);
    }
}
