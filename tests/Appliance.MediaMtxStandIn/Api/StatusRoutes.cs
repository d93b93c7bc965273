using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Runtime;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>/v3/info, /v3/paths/* (runtime state) and /v3/recordings/* (api_paths.go, api_recordings.go).</summary>
internal sealed partial class ApiRouter
{
    private ApiResponse Info() =>
        ApiResponse.Of(new JsonObject { ["version"] = core.InfoVersion, ["started"] = GoTime.Format(core.Started) });

    private ApiResponse PathsList(ApiRequest request) => List(core.RenderPaths(), request);

    private ApiResponse PathsGet(string name) =>
        core.RenderPath(name) is { } path ? ApiResponse.Of(path) : Error(404, "path not found");

    private ApiResponse RecordingsList(ApiRequest request) =>
        List(core.Recordings().Select(r => Recording(r.Path, r.Segments)).ToList(), request);

    private ApiResponse RecordingsGet(string name)
    {
        if (!core.Read(c => c.Contains(name))) return Error(400, NotConfigured(name));
        return ApiResponse.Of(Recording(name, core.RecordingFiles.Of(name)));
    }

    private ApiResponse RecordingsDeleteSegment(ApiRequest request)
    {
        var startText = request.Q("start");
        if (!TryParseRfc3339(startText, out var start))
            return Error(400, $"invalid 'start' parameter: parsing time \"{startText}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{startText}\" as \"2006\"");
        var path = request.Q("path");
        if (!core.Read(c => c.Contains(path))) return Error(400, NotConfigured(path));
        if (!core.RecordingFiles.Delete(path, start))
            return Error(400, $"remove ./recordings/{path}/{start.UtcDateTime.ToString("yyyy-MM-dd_HH-mm-ss-ffffff", CultureInfo.InvariantCulture)}.mp4: no such file or directory");
        return Ok();
    }

    private static string NotConfigured(string name) => $"path '{name}' is not configured";

    private static JsonObject Recording(string name, List<DateTimeOffset> segments) => new()
    {
        ["name"] = name,
        ["segments"] = new JsonArray(segments.Select(s => (JsonNode?)new JsonObject { ["start"] = GoTime.Format(s) }).ToArray()),
    };

    // Go's time.RFC3339 layout also accepts fractional seconds (up to nanoseconds).
    private static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            var zone = text.IndexOfAny(['Z', 'z', '+', '-'], dot);
            if (zone > dot + 8) text = text[..(dot + 8)] + text[zone..]; // .NET stops at 100 ns
        }
        return DateTimeOffset.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }
}
