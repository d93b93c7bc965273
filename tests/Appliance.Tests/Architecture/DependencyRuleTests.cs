using System.Text.RegularExpressions;
using Appliance.Tests.Packaging;

namespace Appliance.Tests.Architecture;

/// <summary>
/// The rule of docs/architecture.md, checked on the source: the core (cameras, media, the media
/// server, storage, events, resources, health, child processes, configuration, updates) never names
/// a face (the JSON-RPC API, the web console, GPIO, the host, MediaMTX's auth hook, HTTP helpers),
/// and inside the core the arrows point one way. A reference is a <c>using Appliance.X</c> or a
/// qualified name <c>X.Type</c> / <c>Appliance.X.Type</c> in code (comments are not read).
/// </summary>
public class DependencyRuleTests
{
    // Folder under src/Appliance → its namespace segment (the console's folder is Console, its namespace WebConsole).
    private static readonly Dictionary<string, string> Namespaces = new(StringComparer.Ordinal) { ["Console"] = "WebConsole" };

    private static readonly string[] Faces = ["Rpc", "WebConsole", "Gpio", "Hosting", "MediaAccess", "Http", "Mqtt"];

    private static readonly string[] Core =
        ["Cameras", "Media", "MediaMtx", "Storage", "Events", "Resources", "Health", "Processes", "Configuration", "Update"];

    private static string SourceRoot => PackagingFiles.Path("src/Appliance");

    private static IEnumerable<(string File, string Folder)> SourceFiles() =>
        Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Select(f => (File: f, Relative: Path.GetRelativePath(SourceRoot, f)))
            .Where(f => !f.Relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && !f.Relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                && f.Relative.Contains(Path.DirectorySeparatorChar))
            .Select(f => (f.File, f.Relative[..f.Relative.IndexOf(Path.DirectorySeparatorChar)]));

    /// <summary>Every line of code in <paramref name="folder"/> that names namespace <paramref name="target"/>.</summary>
    private static List<string> References(string folder, string target)
    {
        var qualified = new Regex($@"(?<![\w.])(?:Appliance\.)?{target}\.[A-Z]");
        var imported = new Regex($@"^\s*using\s+(?:static\s+)?Appliance\.{target}\b");
        var found = new List<string>();
        foreach (var (file, owner) in SourceFiles().Where(f => f.Folder == folder))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = StripComment(lines[i]);
                if (imported.IsMatch(code) || qualified.IsMatch(code))
                    found.Add($"{Path.GetRelativePath(SourceRoot, file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        return found;
    }

    // Cuts a // comment (not one inside a string such as "rtsp://"); a /// doc line goes whole.
    private static string StripComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length - 1; i++)
        {
            if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) inString = !inString;
            else if (!inString && line[i] == '/' && line[i + 1] == '/') return line[..i];
        }
        return line;
    }

    private static string NamespaceOf(string folder) => Namespaces.GetValueOrDefault(folder, folder);

    [Test]
    public void TheScanFindsAReferenceWhereThereIsOne()
    {
        // The rule's own check: the host names the API (it wires it), so a scan that finds nothing there is broken.
        Assert.That(References("Hosting", "Rpc"), Is.Not.Empty);
        Assert.That(SourceFiles().Select(f => f.Folder).Distinct(), Is.SupersetOf(Core.Where(c => c != "Processes" && c != "Update").Concat(["Rpc", "Gpio", "Hosting"])));
    }

    [Test]
    public void TheCoreNeverNamesAFace()
    {
        var violations = Core.SelectMany(core => Faces.SelectMany(face => References(core, face))).ToList();
        Assert.That(violations, Is.Empty, "the core names a face:\n" + string.Join("\n", violations));
    }

    [TestCase("Media", "MediaMtx", TestName = "Media reads live streams through its own interface, never MediaMtx")]
    [TestCase("Storage", "Media", TestName = "Storage never names Media (Media uses Storage)")]
    [TestCase("Cameras", "Media", TestName = "Cameras never names Media")]
    [TestCase("Cameras", "MediaMtx", TestName = "Cameras never names MediaMtx")]
    [TestCase("Health", "Cameras", TestName = "Health never names Cameras")]
    [TestCase("Processes", "Media", TestName = "Processes never names Media")]
    public void ArrowsInsideTheCorePointOneWay(string folder, string forbidden)
    {
        var violations = References(folder, NamespaceOf(forbidden));
        Assert.That(violations, Is.Empty, $"{folder} names {forbidden}:\n" + string.Join("\n", violations));
    }

    [Test]
    public void EventsNamesNothingElse()
    {
        var others = SourceFiles().Select(f => NamespaceOf(f.Folder)).Distinct().Where(n => n != "Events");
        var violations = others.SelectMany(o => References("Events", o)).ToList();
        Assert.That(violations, Is.Empty, string.Join("\n", violations));
    }
}
