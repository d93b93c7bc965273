using Appliance.Testing.MediaMtx.Runtime;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>One API request, decoded as gin hands it to MediaMTX (path percent-decoded once,
/// query values: the first of each name, "" when absent).</summary>
internal sealed record ApiRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, string Body)
{
    public string Q(string name) => Query.TryGetValue(name, out var value) ? value : "";
}

/// <summary>
/// MediaMTX's v3 routes (api.go), the subset the appliance uses. Names are gin wildcards
/// ("/config/paths/get/*name"): they may contain slashes, and an empty one is "invalid name".
/// Anything else, including a known path with the wrong method, is gin's plain-text 404.
/// </summary>
internal sealed partial class ApiRouter(ServerCore core)
{
    private MediaMtxVersion Version => core.Version;

    public ApiResponse Handle(ApiRequest request) => (request.Method, request.Path) switch
    {
        ("GET", "/v3/info") when Version.HasInfoEndpoint => Info(),
        ("GET", "/v3/config/global/get") => GlobalGet(),
        ("PATCH", "/v3/config/global/patch") => GlobalPatch(request),
        ("GET", "/v3/config/pathdefaults/get") => PathDefaultsGet(),
        ("PATCH", "/v3/config/pathdefaults/patch") => PathDefaultsPatch(request),
        ("GET", "/v3/config/paths/list") => ConfigPathsList(request),
        ("GET", "/v3/paths/list") => PathsList(request),
        ("GET", "/v3/recordings/list") => RecordingsList(request),
        ("DELETE", "/v3/recordings/deletesegment") => RecordingsDeleteSegment(request),
        _ => WithName(request),
    };

    private ApiResponse WithName(ApiRequest request)
    {
        foreach (var (method, prefix, handler) in NamedRoutes())
        {
            if (request.Method != method || !request.Path.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var name = request.Path[prefix.Length..];
            return name.Length == 0 ? Error(400, "invalid name") : handler(name, request);
        }
        return ApiResponse.NoRoute;
    }

    private IEnumerable<(string Method, string Prefix, Func<string, ApiRequest, ApiResponse> Handler)> NamedRoutes()
    {
        yield return ("GET", "/v3/config/paths/get/", (name, _) => ConfigPathsGet(name));
        yield return ("POST", "/v3/config/paths/add/", ConfigPathsAdd);
        yield return ("PATCH", "/v3/config/paths/patch/", ConfigPathsPatch);
        yield return ("POST", "/v3/config/paths/replace/", ConfigPathsReplace);
        yield return ("DELETE", "/v3/config/paths/delete/", (name, _) => ConfigPathsDelete(name));
        yield return ("GET", "/v3/paths/get/", (name, _) => PathsGet(name));
        yield return ("GET", "/v3/recordings/get/", (name, _) => RecordingsGet(name));
    }

    private ApiResponse Error(int status, string message) => ApiResponse.Error(Version, status, message);

    private ApiResponse Ok() => ApiResponse.Ok(Version);
}
