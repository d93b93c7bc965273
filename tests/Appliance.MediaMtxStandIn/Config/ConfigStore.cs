using System.Reflection;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Contract;

namespace Appliance.Testing.MediaMtx.Config;

/// <summary>Why a configuration change was refused, with the HTTP status MediaMTX gives.</summary>
internal sealed class ConfigException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// MediaMTX's configuration as its API holds it: in memory only (a restart goes back to the
/// start-up configuration). Paths keep only the fields that were set, like conf.OptionalPath, and
/// are shown merged over the path defaults with their name first, like conf.Path. Not
/// thread-safe: the caller holds the stand-in's lock.
/// </summary>
internal sealed class ConfigStore
{
    // Fields whose values are Go durations; MediaMTX refuses a body whose value does not parse.
    private static readonly string[] DurationFields =
        ["runOnDemandStartTimeout", "runOnDemandCloseAfter", "sourceOnDemandStartTimeout", "sourceOnDemandCloseAfter", "recordPartDuration", "recordSegmentDuration"];

    private readonly GoJsonDecoder _pathDecoder;
    private readonly GoJsonDecoder _globalDecoder;
    private readonly SortedDictionary<string, JsonObject> _paths = new(StringComparer.Ordinal); // Go sorts names bytewise
    private JsonObject _global = [];
    private JsonObject _pathDefaults = [];

    public ConfigStore(OpenApiDocument document)
    {
        _pathDecoder = new GoJsonDecoder(document, "PathConf", "Path");
        _globalDecoder = new GoJsonDecoder(document, "GlobalConf", "Global");
    }

    public IEnumerable<string> PathNames => _paths.Keys;

    /// <summary>Back to the start-up configuration, as a MediaMTX restart re-reads mediamtx.yml.</summary>
    public void Reset(StandInOptions options, int apiPort, int rtspPort)
    {
        _global = LoadDefaults("global-defaults.json");
        _global["apiAddress"] = $":{apiPort}";
        _global["rtspAddress"] = $":{rtspPort}";
        _global["api"] = true;
        if (options.AuthHttpAddress is not null)
        {
            _global["authMethod"] = "http";
            _global["authHTTPAddress"] = options.AuthHttpAddress;
            _global["authHTTPExclude"] = new JsonArray();
        }
        else if (options.Username is not null)
        {
            _global["authInternalUsers"] = new JsonArray(new JsonObject
            {
                ["user"] = options.Username,
                ["pass"] = options.Password ?? "",
                ["ips"] = new JsonArray(),
                ["permissions"] = new JsonArray(new JsonObject { ["action"] = "api", ["path"] = "" }),
            });
        }
        _pathDefaults = LoadDefaults("path-defaults.json");
        _paths.Clear();
        foreach (var (name, body) in options.InitialPaths) Add(name, body);
    }

    public JsonObject Global => (JsonObject)_global.DeepClone();

    public JsonObject PathDefaults => (JsonObject)_pathDefaults.DeepClone();

    public bool Contains(string name) => _paths.ContainsKey(name);

    /// <summary>The path as GET config/paths/get shows it, or null.</summary>
    public JsonObject? Path(string name) => _paths.TryGetValue(name, out var set) ? Render(name, set) : null;

    public void PatchGlobal(string body)
    {
        foreach (var (key, value) in Decode(_globalDecoder, body)) _global[key] = value?.DeepClone();
    }

    public void PatchPathDefaults(string body)
    {
        var set = Decode(_pathDecoder, body);
        CheckDurations(set);
        foreach (var (key, value) in set) _pathDefaults[key] = value?.DeepClone();
    }

    public void Add(string name, string body)
    {
        var set = Decode(_pathDecoder, body);
        if (_paths.ContainsKey(name)) throw new ConfigException(400, "path already exists");
        Validate(name, set);
        _paths[name] = set;
    }

    public void Patch(string name, string body)
    {
        var set = Decode(_pathDecoder, body);
        if (!_paths.TryGetValue(name, out var existing)) throw new ConfigException(404, "path not found");
        var merged = (JsonObject)existing.DeepClone();
        foreach (var (key, value) in set) merged[key] = value?.DeepClone();
        Validate(name, merged);
        _paths[name] = merged;
    }

    public void Replace(string name, string body, bool createWhenMissing)
    {
        var set = Decode(_pathDecoder, body);
        if (!createWhenMissing && !_paths.ContainsKey(name)) throw new ConfigException(404, "path not found");
        Validate(name, set);
        _paths[name] = set;
    }

    public void Delete(string name)
    {
        if (!_paths.Remove(name)) throw new ConfigException(404, "path not found");
    }

    private static JsonObject Decode(GoJsonDecoder decoder, string body)
    {
        try { return decoder.Decode(body); }
        catch (ConfigDecodeException e) { throw new ConfigException(400, e.Message); }
    }

    // conf.Validate's checks that matter to a client: the name, and what runOnDemand needs.
    private void Validate(string name, JsonObject set)
    {
        if (PathNameRules.Problem(name) is { } problem) throw new ConfigException(400, problem);
        CheckDurations(set);
        var path = Render(name, set);
        if ((string?)path["runOnDemand"] is { Length: > 0 } && (string?)path["source"] != "publisher")
            throw new ConfigException(400, "'runOnDemand' can be used only when source is 'publisher'");
    }

    private static void CheckDurations(JsonObject set)
    {
        foreach (var field in DurationFields)
            if (set[field] is JsonValue value && !GoDuration.TryParse(value.GetValue<string>(), out _))
                throw new ConfigException(400, $"time: invalid duration \"{value.GetValue<string>()}\"");
    }

    private JsonObject Render(string name, JsonObject set)
    {
        var path = new JsonObject { ["name"] = name };
        foreach (var (key, value) in _pathDefaults) path[key] = value?.DeepClone();
        foreach (var (key, value) in set) path[key] = value?.DeepClone();
        return path;
    }

    private static JsonObject LoadDefaults(string resource)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing");
        return JsonNode.Parse(stream) as JsonObject ?? throw new InvalidDataException($"{resource} is not a JSON object");
    }
}
