using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Appliance.Tests.MediaAccess;

/// <summary>POSTs bodies shaped like MediaMTX's (internal/auth/manager.go, v1.20.1) to the hook, over real HTTP.</summary>
public sealed class HookClient(Uri hook) : IDisposable
{
    private readonly HttpClient _http = new();

    public static string Body(string action, string ip = "127.0.0.1", string user = "", string password = "", string token = "",
        string query = "", string protocol = "rtsp", string path = "camera0") =>
        new JsonObject
        {
            ["user"] = user, ["password"] = password, ["token"] = token, ["ip"] = ip, ["action"] = action, ["path"] = path,
            ["protocol"] = action is "read" or "publish" ? protocol : "",
            ["id"] = action is "read" or "publish" ? Guid.NewGuid().ToString() : null,
            ["query"] = query, ["userAgent"] = "test",
        }.ToJsonString();

    public Task<HttpStatusCode> AskAsync(string action, string ip = "127.0.0.1", string user = "", string password = "", string token = "",
        string query = "", string protocol = "rtsp") =>
        PostAsync(Body(action, ip, user, password, token, query, protocol));

    public async Task<HttpStatusCode> PostAsync(string body, Uri? to = null)
    {
        using var response = await _http.PostAsync(to ?? hook, new StringContent(body, Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
