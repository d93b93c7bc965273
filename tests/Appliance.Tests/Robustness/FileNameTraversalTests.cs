using System.Text;
using System.Text.Json;
using Appliance.Security;
using Appliance.Tests.Support;

namespace Appliance.Tests.Robustness;

/// <summary>Every file-name door (take_snapshot's filename, the info and delete methods, both download
/// URLs) against the same hostile names: all refused (-32602 naming filename, or HTTP 400), with canary
/// files planted next to and inside the media directories left exactly as they were.</summary>
public class FileNameTraversalTests
{
    private const string CanaryText = "CANARY-DO-NOT-TOUCH";
    private RunningHost _host = null!;

    // (label, JSON string literal with {ext} for the extension, URL segment with {ext}, expected HTTP status)
    private static readonly (string Label, string Json, string Url, int Http)[] Names =
    [
        ("dotdot-slash", "\"../canary{ext}\"", "../canary{ext}", 404),          // Kestrel resolves the dot segment: no route
        ("dotdot-only", "\"..\"", "..", 404),
        ("deep-dotdot", "\"../../../../../../etc/passwd\"", "..%2F..%2F..%2F..%2Fetc%2Fpasswd", 400),
        ("encoded-slash", "\"..%2Fcanary{ext}\"", "..%2Fcanary{ext}", 400),
        ("double-encoded-slash", "\"..%252Fcanary{ext}\"", "..%252Fcanary{ext}", 400),
        ("absolute", "\"/etc/passwd\"", "%2Fetc%2Fpasswd", 400),
        ("slash", "\"a/b{ext}\"", "a%2Fb{ext}", 400),
        ("backslash", "\"a\\\\b{ext}\"", "a%5Cb{ext}", 400),
        ("backslash-dotdot", "\"..\\\\canary{ext}\"", "..%5Ccanary{ext}", 400),
        ("nul", "\"canary{ext}\\u0000\"", "canary{ext}%00", 400),
        ("nul-middle", "\"canary\\u0000{ext}\"", "canary%00{ext}", 400),
        ("hidden", "\".hidden{ext}\"", ".hidden{ext}", 400),
        ("long-300", "\"" + new string('a', 296) + "{ext}\"", new string('a', 296) + "{ext}", 400),
        ("lone-surrogate", "\"\\ud800{ext}\"", "%ED%A0%80{ext}", 400),
        ("control-char", "\"a\\u001b{ext}\"", "a%1B{ext}", 400),
    ];

    [OneTimeSetUp]
    public async Task Start()
    {
        _host = await RunningHost.StartAsync(storageExtra: "min_free_mb = 0", securityExtra: "auth_failures_per_minute = 10000\nrate_limit_burst = 100000\nrate_limit_per_minute = 100000");
        File.WriteAllText(Path.Combine(_host.DataDir, "canary.mp4"), CanaryText);
        File.WriteAllText(Path.Combine(_host.DataDir, "canary.jpg"), CanaryText);
        Directory.CreateDirectory(Path.Combine(_host.DataDir, "recordings"));
        Directory.CreateDirectory(Path.Combine(_host.DataDir, "snapshots"));
        File.WriteAllText(Path.Combine(_host.DataDir, "recordings", "keep.mp4"), CanaryText);
        File.WriteAllText(Path.Combine(_host.DataDir, "snapshots", "keep.jpg"), CanaryText);
    }

    [OneTimeTearDown]
    public async Task Stop() => await _host.DisposeAsync();

    private Dictionary<string, string> Tree() =>
        Directory.EnumerateFileSystemEntries(_host.DataDir, "*", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(_host.DataDir, p).StartsWith("state", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetRelativePath(_host.DataDir, p), p => File.Exists(p) ? File.ReadAllText(p) + "@" + File.GetLastWriteTimeUtc(p).Ticks : "<dir>");

    [Test]
    public async Task EveryRpcFileNameFieldRefusesEveryHostileName()
    {
        var before = Tree();
        await using var client = await _host.ConnectAsync(Role.Operator);
        var failures = new List<string>();
        foreach (var (method, ext, device) in new[]
        {
            ("take_snapshot", ".jpg", true), ("get_recording_info", ".mp4", false), ("get_snapshot_info", ".jpg", false),
            ("delete_recording", ".mp4", false), ("delete_snapshot", ".jpg", false),
        })
        {
            foreach (var (label, json, _, _) in Names)
            {
                var name = json.Replace("{ext}", ext);
                var paramsJson = device ? $$"""{"device":"/dev/video99","filename":{{name}}}""" : $$"""{"filename":{{name}}}""";
                using var reply = await client.CallAsync(method, paramsJson);
                var root = reply.RootElement;
                var ok = root.TryGetProperty("error", out var e) && e.GetProperty("code").GetInt32() == -32602
                    && e.TryGetProperty("data", out var d) && d.TryGetProperty("field", out var f) && f.GetString() == "filename";
                if (!ok) failures.Add($"{method} {label} ({Clip(name)}): {Clip(root.GetRawText())}");
            }
        }
        Assert.That(failures, Is.Empty);
        AssertUntouched(before);
    }

    [Test]
    public async Task EveryDownloadUrlRefusesEveryHostileName()
    {
        var before = Tree();
        var token = _host.Token(Role.Viewer);
        var failures = new List<string>();
        foreach (var (segment, ext) in new[] { ("recordings", ".mp4"), ("snapshots", ".jpg") })
        {
            foreach (var (label, _, url, http) in Names)
            {
                var target = $"/files/{segment}/{url.Replace("{ext}", ext)}";
                var (status, body) = await RawHttp.GetAsync(_host.HttpUri.Port, target, ("Authorization", "Bearer " + token));
                var text = Encoding.UTF8.GetString(body);
                if (status != http) failures.Add($"GET {Clip(target)} ({label}): expected {http}, got {status} {Clip(text)}");
                if (text.Contains(CanaryText) || text.Contains("root:")) failures.Add($"GET {Clip(target)} ({label}) served a file outside the media directory");
            }
        }
        // The control: the planted files inside the media directories are served.
        var (okStatus, okBody) = await RawHttp.GetAsync(_host.HttpUri.Port, "/files/recordings/keep.mp4", ("Authorization", "Bearer " + token));
        Assert.That((okStatus, Encoding.UTF8.GetString(okBody)), Is.EqualTo((200, CanaryText)));
        Assert.That(failures, Is.Empty);
        AssertUntouched(before);
    }

    private void AssertUntouched(Dictionary<string, string> before)
    {
        Assert.That(Tree(), Is.EquivalentTo(before), "nothing created, changed or deleted in the data directory");
        Assert.That(File.ReadAllText(Path.Combine(_host.DataDir, "canary.mp4")), Is.EqualTo(CanaryText));
        Assert.That(File.ReadAllText(Path.Combine(_host.DataDir, "recordings", "keep.mp4")), Is.EqualTo(CanaryText));
    }

    private static string Clip(string s) => s.Length <= 160 ? s : s[..160] + "…";
}
