using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx.Config;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>/v3/config/*: global, path defaults and path configurations (api_config_*.go).</summary>
internal sealed partial class ApiRouter
{
    private ApiResponse GlobalGet() => ApiResponse.Of(core.Read(c => c.Global));

    private ApiResponse GlobalPatch(ApiRequest request) => Apply(c => c.PatchGlobal(request.Body));

    private ApiResponse PathDefaultsGet() => ApiResponse.Of(core.Read(c => c.PathDefaults));

    private ApiResponse PathDefaultsPatch(ApiRequest request) => Apply(c => c.PatchPathDefaults(request.Body));

    private ApiResponse ConfigPathsList(ApiRequest request)
    {
        var items = core.Read(c => c.PathNames.Select(n => c.Path(n)!).ToList());
        return List(items, request);
    }

    private ApiResponse ConfigPathsGet(string name) =>
        core.Read(c => c.Path(name)) is { } path ? ApiResponse.Of(path) : Error(404, "path configuration not found");

    private ApiResponse ConfigPathsAdd(string name, ApiRequest request) => Apply(c => c.Add(name, request.Body));

    private ApiResponse ConfigPathsPatch(string name, ApiRequest request) => Apply(c => c.Patch(name, request.Body));

    private ApiResponse ConfigPathsReplace(string name, ApiRequest request) =>
        Apply(c => c.Replace(name, request.Body, Version.ReplaceCreatesMissingPath));

    private ApiResponse ConfigPathsDelete(string name) => Apply(c => c.Delete(name));

    private ApiResponse Apply(Action<ConfigStore> change)
    {
        try
        {
            core.Change(change);
            return Ok();
        }
        catch (ConfigException e)
        {
            return Error(e.Status, e.Message);
        }
    }

    /// <summary>{itemCount, pageCount, items} with MediaMTX's pagination and its 400s.</summary>
    private ApiResponse List(List<JsonObject> items, ApiRequest request)
    {
        if (!Pagination.TryPage(items, request.Q("itemsPerPage"), request.Q("page"), out var page, out var pageCount, out var error))
            return Error(400, error!);
        return ApiResponse.Of(new JsonObject
        {
            ["itemCount"] = items.Count,
            ["pageCount"] = pageCount,
            ["items"] = new JsonArray(page.Select(i => (JsonNode?)i).ToArray()),
        });
    }
}
