using YamlDotNet.RepresentationModel;

namespace Appliance.Tests.MediaMtx;

/// <summary>The appliance's mediamtx.yml, checked against MediaMTX's own default config
/// (tests/reference/mediamtx/mediamtx.yml, v1.20.1): every key must be one MediaMTX knows, with a
/// value of the same kind, and the settings the appliance relies on must be there.</summary>
public class MediaMtxConfigFileTests
{
    private static string RepoFile(string relative)
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Appliance.sln"))) dir = dir.Parent;
        return Path.Combine(dir!.FullName, relative);
    }

    private static YamlMappingNode Load(string relative)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(RepoFile(relative));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static readonly YamlMappingNode Ours = Load("rootfs-overlay/etc/mediamtx/mediamtx.yml");
    private static readonly YamlMappingNode Reference = Load("tests/reference/mediamtx/mediamtx.yml");

    [Test]
    public void EveryKeyIsOneMediaMtxKnowsWithTheSameKindOfValue()
    {
        var problems = new List<string>();
        Compare(Ours, Reference, "", problems);
        Assert.That(problems, Is.Empty);
    }

    [Test]
    public void TheComparisonCatchesATypoAndAWrongKind()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader("apiAdress: 127.0.0.1:9997\napi: [true]\n"));
        var problems = new List<string>();
        Compare((YamlMappingNode)yaml.Documents[0].RootNode, Reference, "", problems);
        Assert.That(problems, Has.Count.EqualTo(2));
    }

    [Test]
    public void ApiAndMetricsListenOnLoopbackOnly()
    {
        Assert.That(Scalar("api"), Is.EqualTo("true"));
        Assert.That(Scalar("apiAddress"), Does.StartWith("127.0.0.1:9997"));
        Assert.That(Scalar("metrics"), Is.EqualTo("true"));
        Assert.That(Scalar("metricsAddress"), Does.StartWith("127.0.0.1:"));
        Assert.That(Scalar("rtspAddress"), Is.EqualTo(":8554"));
        Assert.That(Scalar("webrtcAddress"), Is.EqualTo(":8889"));
        Assert.That(Scalar("hlsAddress"), Is.EqualTo(":8888"));
    }

    [Test]
    public void TimeoutsAreSet()
    {
        Assert.That(Scalar("readTimeout"), Is.EqualTo("10s"));
        Assert.That(Scalar("writeTimeout"), Is.EqualTo("10s"));
    }

    [Test]
    public void EveryReadPublishAndApiCallIsDecidedByTheServicesHook()
    {
        Assert.That(Scalar("authMethod"), Is.EqualTo("http"));
        var hook = new Uri(Scalar("authHTTPAddress")!);
        Assert.That(hook.Scheme, Is.EqualTo("http"));
        Assert.That(hook.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(hook.Port, Is.EqualTo(new Appliance.Configuration.MediaMtxSection().AuthHookPort), "the service's default mediamtx.auth_hook_port");
        Assert.That(hook.AbsolutePath, Is.EqualTo(Appliance.MediaAccess.MediaAuthHook.Path));
        Assert.That(((YamlSequenceNode)Ours.Children[new YamlScalarNode("authHTTPExclude")]).Children, Is.Empty, "nothing bypasses the hook");
        Assert.That(Ours.Children.ContainsKey(new YamlScalarNode("authInternalUsers")), Is.False, "internal users are not used with authMethod http");
        // Digest would keep the password from MediaMTX, so it could not forward it to the hook.
        var rtspAuth = ((YamlSequenceNode)Ours.Children[new YamlScalarNode("rtspAuthMethods")]).Children.Select(n => ((YamlScalarNode)n).Value);
        Assert.That(rtspAuth, Is.EqualTo(new[] { "basic" }));
    }

    [Test]
    public void TheReferenceServiceConfigUsesTheSameHookPort()
    {
        var toml = File.ReadAllText(RepoFile("rootfs-overlay/etc/appliance/appliance.toml"));
        var line = toml.Split('\n').Single(l => l.TrimStart().StartsWith("auth_hook_port", StringComparison.Ordinal));
        var port = int.Parse(line.Split('=')[1].Split('#')[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(port, Is.EqualTo(new Uri(Scalar("authHTTPAddress")!).Port));
    }

    private static string? Scalar(string key) => ((YamlScalarNode)Ours.Children[new YamlScalarNode(key)]).Value;

    private static void Compare(YamlMappingNode ours, YamlMappingNode reference, string at, List<string> problems)
    {
        foreach (var (keyNode, value) in ours.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            if (!reference.Children.TryGetValue(keyNode, out var known))
            {
                problems.Add($"{at}{key}: not a MediaMTX setting");
                continue;
            }
            if (value.NodeType != known.NodeType && !(IsEmpty(value) || IsEmpty(known)))
            {
                problems.Add($"{at}{key}: {value.NodeType} where MediaMTX has {known.NodeType}");
                continue;
            }
            if (value is YamlMappingNode map && known is YamlMappingNode knownMap) Compare(map, knownMap, $"{at}{key}.", problems);
            if (value is YamlSequenceNode seq && known is YamlSequenceNode knownSeq && knownSeq.Children.FirstOrDefault() is YamlMappingNode template)
                foreach (var item in seq.Children.OfType<YamlMappingNode>()) Compare(item, template, $"{at}{key}[].", problems);
            if (value is YamlScalarNode s && known is YamlScalarNode k && IsBool(k.Value) != IsBool(s.Value) && !string.IsNullOrEmpty(s.Value) && !string.IsNullOrEmpty(k.Value))
                problems.Add($"{at}{key}: '{s.Value}' where MediaMTX expects a value like '{k.Value}'");
        }
    }

    private static bool IsEmpty(YamlNode n) => n is YamlScalarNode { Value: null or "" };
    private static bool IsBool(string? v) => v is "true" or "false";
}
