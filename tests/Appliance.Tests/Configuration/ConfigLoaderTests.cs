using Appliance.Configuration;
using Appliance.Tests.Support;

namespace Appliance.Tests.Configuration;

public class ConfigLoaderTests
{
    private static readonly Dictionary<string, string> NoEnv = [];
    private const string GoodSecret = "a-production-secret-that-is-long-enough-0123456789";

    private static ConfigLoadResult Load(string toml, Dictionary<string, string>? env = null) =>
        ConfigLoader.Load(toml, "/etc/appliance/test.toml", env ?? NoEnv);

    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Appliance.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    [Test]
    public void DevelopmentConfigInTheRepoIsValidAndHasAVirtualCamera()
    {
        var result = ConfigLoader.LoadFile(RepoFile("src/Appliance/appliance.development.toml"), NoEnv);
        Assert.That(result.Problems, Is.Empty);
        Assert.That(result.Config!.Server.Environment, Is.EqualTo("development"));
        Assert.That(result.Config.Camera.Virtual, Has.Count.EqualTo(1));
    }

    [Test]
    public void ShippedExampleConfigParsesAndOnlyLacksTheSecret()
    {
        // The shipped file leaves jwt_secret empty on purpose: production must refuse to start until it is set.
        var path = RepoFile("rootfs-overlay/etc/appliance/appliance.toml");
        var without = ConfigLoader.LoadFile(path, NoEnv);
        Assert.That(without.Problems.Select(p => p.Key), Is.EqualTo(new[] { "security.jwt_secret" }));
        var with = ConfigLoader.LoadFile(path, new Dictionary<string, string> { ["APPLIANCE_SECURITY_JWT_SECRET"] = GoodSecret });
        Assert.That(with.Problems, Is.Empty);
        Assert.That(with.Config!.Server.Port, Is.EqualTo(8002));
    }

    [Test]
    public void EmptyFileGivesTheOriginalServiceDefaults()
    {
        var c = Load("[server]\nenvironment = \"development\"\n").Config!;
        Assert.Multiple(() =>
        {
            Assert.That(c.Server.Port, Is.EqualTo(8002));
            Assert.That(c.Mediamtx.ApiPort, Is.EqualTo(9997));
            Assert.That(c.Mediamtx.RtspPort, Is.EqualTo(8554));
            Assert.That(c.Mediamtx.WebrtcPort, Is.EqualTo(8889));
            Assert.That(c.Mediamtx.HlsPort, Is.EqualTo(8888));
            Assert.That(c.Storage.WarnPercent, Is.EqualTo(80));
            Assert.That(c.Storage.BlockPercent, Is.EqualTo(90));
            Assert.That(c.Mediamtx.HealthFailureThreshold, Is.EqualTo(10));
            Assert.That(c.Server.MaxMessageSize, Is.EqualTo(1024 * 1024));
        });
    }

    [Test]
    public void ValuesFromTheFileBindToSnakeCaseKeys()
    {
        var c = Load($"""
            [server]
            port = 9100
            max_message_size = 4096
            [security]
            jwt_secret = "{GoodSecret}"
            [mediamtx]
            health_check_interval = 7
            [[camera.virtual]]
            name = "A"
            resolution = "640x480"
            fps = 15
            [[camera.virtual]]
            name = "B"
            pattern = "smptebars"
            """).Config!;
        Assert.That(c.Server.Port, Is.EqualTo(9100));
        Assert.That(c.Server.MaxMessageSize, Is.EqualTo(4096));
        Assert.That(c.Mediamtx.HealthCheckInterval, Is.EqualTo(7.0), "an integer is accepted for a fractional key");
        Assert.That(c.Camera.Virtual.Select(v => (v.Name, v.Resolution, v.Fps, v.Pattern)),
            Is.EqualTo(new[] { ("A", "640x480", 15, "testsrc2"), ("B", "1280x720", 30, "smptebars") }));
    }

    [Test]
    public void SyntaxErrorReportsTheLine()
    {
        var result = Load("[server]\nport = 8002\nhost = \"unterminated\n");
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Problems, Has.Count.EqualTo(1));
        Assert.That(result.Problems[0].Line, Is.EqualTo(3));
        Assert.That(result.Problems[0].Key, Is.EqualTo("(syntax)"));
    }

    [Test]
    public void UnknownKeyIsAnErrorWithADidYouMeanHint()
    {
        var result = Load($"[server]\nenvironment = \"development\"\nprot = 8002\n");
        var problem = result.Problems.Single();
        Assert.That(problem.Key, Is.EqualTo("server.prot"));
        Assert.That(problem.Line, Is.EqualTo(3));
        Assert.That(problem.Message, Does.Contain("did you mean \"server.port\""));
    }

    [Test]
    public void UnknownSectionAndKeyInTheWrongSectionAreReported()
    {
        var result = Load("[server]\nenvironment = \"development\"\n[loging]\nlevel = \"debug\"\n[camera]\njwt_secret = \"x\"\n");
        Assert.That(result.Problems.Select(p => p.Key), Is.EquivalentTo(new[] { "loging", "camera.jwt_secret" }));
        Assert.That(result.Problems.First(p => p.Key == "loging").Message, Does.Contain("\"logging\""));
        Assert.That(result.Problems.First(p => p.Key == "camera.jwt_secret").Message, Does.Contain("security.jwt_secret"));
    }

    [Test]
    public void WrongKindIsReportedWithLineAndTheRestIsStillValidated()
    {
        var result = Load("[server]\nenvironment = \"development\"\nport = \"eighty\"\nmax_connections = 0\n");
        Assert.That(result.Problems.Select(p => (p.Key, p.Line)), Is.EquivalentTo(new (string, int?)[] { ("server.port", 3), ("server.max_connections", 4) }));
        Assert.That(result.Problems.First(p => p.Key == "server.port").Message, Does.Contain("expected an integer"));
    }

    [Test]
    public void EveryProblemIsReportedAtOnceWithKeyValueReasonAndLine()
    {
        var result = Load("""
            [server]
            environment = "production"
            port = 70000
            [storage]
            warn_percent = 95
            block_percent = 90
            [[camera.virtual]]
            name = "cam"
            resolution = "huge"
            pattern = "plaid"
            [logging]
            level = "loud"
            """);
        var byKey = result.Problems.ToDictionary(p => p.Key);
        Assert.That(byKey.Keys, Is.EquivalentTo(new[]
        {
            "server.port", "security.jwt_secret", "storage.block_percent", "camera.virtual[0].resolution",
            "camera.virtual[0].pattern", "logging.level",
        }));
        Assert.That(byKey["server.port"].Line, Is.EqualTo(3));
        Assert.That(byKey["server.port"].Value, Is.EqualTo("70000"));
        Assert.That(byKey["server.port"].Message, Does.Contain("between 1 and 65535"));
        Assert.That(byKey["camera.virtual[0].resolution"].Line, Is.EqualTo(9));
        Assert.That(byKey["logging.level"].Line, Is.EqualTo(12));
        Assert.That(byKey["storage.block_percent"].Message, Does.Contain("warn_percent"));
        Assert.That(byKey["server.port"].ToString(), Is.EqualTo("/etc/appliance/test.toml:3: server.port = 70000: must be between 1 and 65535"));
    }

    [TestCase("")]
    [TestCase("change-me")]
    [TestCase("development-only-secret-do-not-use-in-production-0123456789")]
    [TestCase("too-short-secret")]
    public void ProductionRefusesAnEmptySampleOrShortSecret(string secret)
    {
        var result = Load($"[server]\nenvironment = \"production\"\n[security]\njwt_secret = \"{secret}\"\n");
        Assert.That(result.Problems.Select(p => p.Key), Is.EqualTo(new[] { "security.jwt_secret" }));
        Assert.That(result.Problems[0].ToString(), Does.Not.Contain(secret.Length > 0 ? secret : "\u0000"), "the secret itself is never echoed");
    }

    [Test]
    public void DevelopmentAllowsTheSampleSecret()
    {
        var result = Load("[server]\nenvironment = \"development\"\n[security]\njwt_secret = \"change-me\"\n");
        Assert.That(result.Problems, Is.Empty);
    }

    [Test]
    public void EnvironmentOverridesKeysOfEveryKind()
    {
        var result = Load("[server]\nenvironment = \"development\"\nport = 8002\n", new Dictionary<string, string>
        {
            ["APPLIANCE_SERVER_HOST"] = "127.0.0.1",
            ["APPLIANCE_SERVER_PORT"] = "9001",
            ["APPLIANCE_SECURITY_JWT_SECRET"] = GoodSecret,
            ["APPLIANCE_MEDIAMTX_REQUEST_TIMEOUT"] = "2.5",
            ["APPLIANCE_GPIO_ENABLED"] = "true",
            ["APPLIANCE_CAMERA_DEVICE_RANGE"] = "2,4",
            ["APPLIANCE_GPIO_SNAPSHOT_CAMERAS"] = "camera0,camera2",
        });
        Assert.That(result.Problems, Is.Empty);
        var c = result.Config!;
        Assert.That((c.Server.Host, c.Server.Port, c.Security.JwtSecret), Is.EqualTo(("127.0.0.1", 9001, GoodSecret)));
        Assert.That(c.Mediamtx.RequestTimeout, Is.EqualTo(2.5));
        Assert.That(c.Gpio.Enabled, Is.True);
        Assert.That(c.Camera.DeviceRange, Is.EqualTo(new[] { 2, 4 }));
        Assert.That(c.Gpio.SnapshotCameras, Is.EqualTo(new[] { "camera0", "camera2" }));
    }

    [Test]
    public void BadEnvironmentValueNamesTheVariableAndUnknownVariablesAreWarnings()
    {
        var result = Load("[server]\nenvironment = \"development\"\n", new Dictionary<string, string>
        {
            ["APPLIANCE_SERVER_PORT"] = "eighty",
            ["APPLIANCE_SERVER_PROT"] = "1",
        });
        Assert.That(result.Problems.Single().Source, Is.EqualTo("environment variable APPLIANCE_SERVER_PORT"));
        Assert.That(result.Warnings.Single(), Does.Contain("APPLIANCE_SERVER_PROT"));
    }

    [Test]
    public void EnvironmentValueFailingValidationIsAttributedToTheVariable()
    {
        var result = Load("[server]\nenvironment = \"development\"\n", new Dictionary<string, string> { ["APPLIANCE_SERVER_PORT"] = "0" });
        Assert.That(result.Problems.Single().ToString(), Does.StartWith("environment variable APPLIANCE_SERVER_PORT: server.port = 0"));
    }

    [Test]
    public void RelativePathsAreResolvedAgainstTheConfigFile()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("conf/appliance.toml", "[server]\nenvironment = \"development\"\n[recording]\npath = \"../rec\"\n[snapshots]\npath = \"/abs/snaps\"\n");
        var c = ConfigLoader.LoadFile(path, NoEnv).Config!;
        Assert.That(c.Recording.Path, Is.EqualTo(Path.Combine(dir.Path, "rec")));
        Assert.That(c.Snapshots.Path, Is.EqualTo("/abs/snaps"));
    }

    [Test]
    public void TableDefinedTwiceIsAnErrorNamingBothLines()
    {
        // Tomlyn alone accepts this, merging the two [recording] tables.
        var result = Load("""
            # camera appliance
            [recording]
            format = "mp4"
            [server]
            environment = "development"
            [recording]
            segment_duration = 60
            """);
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Config, Is.Null);
        var problem = result.Problems.Single();
        Assert.That((problem.Key, problem.Line), Is.EqualTo(("recording", (int?)6)));
        Assert.That(problem.ToString(), Is.EqualTo("/etc/appliance/test.toml:6: recording: table [recording] is defined twice (first at line 2)"));
    }

    [TestCase("port = 9000", TestName = "KeyAssignedTwiceIsAnError(bare)")]
    [TestCase("\"port\" = 9000", TestName = "KeyAssignedTwiceIsAnError(quoted)")]
    [TestCase("port = 8002", TestName = "KeyAssignedTwiceIsAnError(same value)")]
    public void KeyAssignedTwiceIsAnError(string again)
    {
        var result = Load($"[server]\nenvironment = \"development\"\nport = 8002\n{again}\n");
        var problem = result.Problems.Single();
        Assert.That((problem.Key, problem.Line), Is.EqualTo(("server.port", (int?)4)));
        Assert.That(problem.Message, Is.EqualTo("key server.port is defined twice (first at line 3)"));
        Assert.That(result.IsValid, Is.False);
    }

    // TOML 1.0: a [table] header may not define a table a dotted key, an inline table or [[array]] already
    // defined, and dotted keys may not add to a table a header defined.
    [TestCase("recording.format = \"mp4\"\n[recording]\nsegment_duration = 60\n",
        "recording", 2, "table [recording] is defined twice (first at line 1, by the dotted key recording.format)")]
    [TestCase("recording = { format = \"mp4\" }\n[recording]\nsegment_duration = 60\n",
        "recording", 2, "table [recording] is defined twice (first at line 1, as an inline table)")]
    [TestCase("[recording]\nformat = \"mp4\"\n[[recording]]\n",
        "recording", 3, "array of tables [[recording]] is defined twice (first at line 1, as the table [recording])")]
    [TestCase("[[camera.virtual]]\nname = \"a\"\n[camera]\nvirtual.name = \"b\"\n",
        "camera.virtual", 4, "table camera.virtual (by the dotted key virtual.name) is defined twice (first at line 1, as the array of tables [[camera.virtual]])")]
    [TestCase("[[camera.virtual]]\nname = \"a\"\n[camera.virtual]\nname = \"b\"\n",
        "camera.virtual", 3, "table [camera.virtual] is defined twice (first at line 1, as the array of tables [[camera.virtual]])")]
    [TestCase("[[camera.virtual]]\nname = \"a\"\nname = \"b\"\n",
        "camera.virtual[0].name", 3, "key camera.virtual[0].name is defined twice (first at line 2)")]
    public void RedefinitionsTomlForbidsAreErrorsWithBothLines(string toml, string key, int line, string message)
    {
        var result = Load(toml);
        var problem = result.Problems.First();
        Assert.That((problem.Key, problem.Line, problem.Message), Is.EqualTo((key, (int?)line, message)));
        Assert.That(result.IsValid, Is.False);
    }

    [Test]
    public void EveryRedefinitionAndUnknownKeyIsReportedTogether()
    {
        var result = Load("[server]\nenvironment = \"development\"\n[logging]\nlevle = \"debug\"\n[server]\n[logging]\n");
        Assert.That(result.Problems.Select(p => (p.Key, p.Line)), Is.EquivalentTo(new (string, int?)[] { ("server", 5), ("logging", 6), ("logging.levle", 4) }));
        Assert.That(result.Problems.First(p => p.Key == "logging").Message, Does.Contain("(first at line 3)"));
    }

    [TestCase("""
        server.environment = "development"
        server.port = 9100
        [camera]
        auto_start_streams = false
        [[camera.virtual]]
        name = "A"
        [[camera.virtual]]
        name = "B"
        [recording]
        format = "mkv"
        """, TestName = "ValidDocumentsStillLoad(dotted keys, table, then its array of tables)")]
    [TestCase("""
        [[camera.virtual]]
        name = "A"
        [[camera.virtual]]
        name = "B"
        [camera]
        auto_start_streams = false
        [server]
        environment = "development"
        port = 9100
        [recording]
        format = "mkv"
        """, TestName = "ValidDocumentsStillLoad(array of tables, then its super-table)")]
    public void ValidDocumentsStillLoad(string toml)
    {
        var result = Load(toml);
        Assert.That(result.Problems, Is.Empty);
        var c = result.Config!;
        Assert.That((c.Server.Environment, c.Server.Port, c.Camera.AutoStartStreams, c.Recording.Format), Is.EqualTo(("development", 9100, false, "mkv")));
        Assert.That(c.Camera.Virtual.Select(v => v.Name), Is.EqualTo(new[] { "A", "B" }));
    }

    [Test]
    public void DuplicateTableMakesTheServiceExitOneNamingLineAndKey()
    {
        using var dir = new TestDirectory();
        var path = dir.Write("dup.toml", "[recording]\nformat = \"mp4\"\n[server]\nenvironment = \"development\"\nhost = \"127.0.0.1\"\n[recording]\nsegment_duration = 60\n");
        var (code, _, err) = ApplianceCli.Run("--config", path);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("dup.toml:6: recording: table [recording] is defined twice (first at line 1)"));
    }

    [Test]
    public void MissingFileIsAClearProblem()
    {
        var result = ConfigLoader.LoadFile("/nonexistent/appliance.toml", NoEnv);
        Assert.That(result.IsValid, Is.False);
        Assert.That(result.Problems.Single().Message, Does.Contain("cannot read the config file"));
    }
}
