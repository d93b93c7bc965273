namespace Appliance.Tests.Packaging;

/// <summary>The repository's packaging files (systemd/, rootfs-overlay/, board/) as the tests read them.</summary>
public static class PackagingFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public static string[] Units => [.. Directory.GetFiles(Path("systemd"), "*.service").Order(StringComparer.Ordinal)];

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Appliance.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (Appliance.sln) not found");
    }
}

/// <summary>A systemd unit file read the way systemd does for what the tests need: sections, and keys that
/// may repeat (DeviceAllow=, ReadWritePaths=, ...), comments and blank lines ignored.</summary>
public sealed class UnitFile
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    public UnitFile(string path)
    {
        var section = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[') { section = line.Trim('[', ']'); continue; }
            var eq = line.IndexOf('=');
            if (eq > 0) _entries.Add((section, line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
    }

    public IEnumerable<string> All(string key, string section = "Service") =>
        _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value);

    public string? One(string key, string section = "Service") => All(key, section).LastOrDefault();

    /// <summary>Space-separated values of every line of a list key (ReadWritePaths=, SupplementaryGroups=, ...).</summary>
    public IEnumerable<string> Words(string key, string section = "Service") =>
        All(key, section).SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
