using System.Net;
using System.Text;
using System.Text.Json;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>/api/session over real HTTP, with cookies handled by hand so that the Set-Cookie header itself can be checked.</summary>
public sealed class SessionHttp(RunningHost host) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.HttpUri };

    public HttpClient Http => _http;
    public string OwnOrigin => $"http://127.0.0.1:{host.Host.BoundAddress.Port}";

    public Task<HttpResponseMessage> LoginAsync(string token, string? origin = null, string? authType = null) =>
        PostAsync(authType is null ? JsonSerializer.Serialize(new { token }) : JsonSerializer.Serialize(new { token, auth_type = authType }), origin: origin);

    public Task<HttpResponseMessage> PostAsync(string body, string contentType = "application/json", string? origin = null, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/session") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (cookie is not null) request.Headers.Add("Cookie", $"appliance_session={cookie}");
        return _http.SendAsync(request);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? cookie, string? origin = null)
    {
        var request = new HttpRequestMessage(method, url);
        if (cookie is not null) request.Headers.Add("Cookie", $"appliance_session={cookie}");
        if (origin is not null) request.Headers.Add("Origin", origin);
        return _http.SendAsync(request);
    }

    /// <summary>Logs in and returns the cookie's value (asserting the login worked).</summary>
    public async Task<string> SessionAsync(string token)
    {
        using var response = await LoginAsync(token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return CookieValue(response);
    }

    public static string SetCookie(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Single() : "";

    public static string CookieValue(HttpResponseMessage response)
    {
        var header = SetCookie(response);
        Assert.That(header, Does.StartWith("appliance_session="));
        return header["appliance_session=".Length..header.IndexOf(';')];
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    public void Dispose() => _http.Dispose();
}
