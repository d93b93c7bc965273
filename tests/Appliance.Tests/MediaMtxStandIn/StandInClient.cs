using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx;

namespace Appliance.Tests.StandIn;

/// <summary>An answer from the stand-in's API: status and body text.</summary>
internal sealed record Reply(int Status, string Body)
{
    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidDataException("body is JSON null");

    public string? Error => (string?)Json["error"];
}

/// <summary>Plain HttpClient calls to a stand-in, as a client of MediaMTX makes them.</summary>
internal sealed class StandInClient : IDisposable
{
    public StandInClient(MediaMtxStandIn standIn, TimeSpan? timeout = null)
    {
        Http = new HttpClient { BaseAddress = standIn.ApiUrl, Timeout = timeout ?? TimeSpan.FromSeconds(10) };
    }

    public HttpClient Http { get; }

    public void UseBasicAuth(string user, string pass) =>
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{pass}")));

    public Task<Reply> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<Reply> PostAsync(string path, string body) => SendAsync(HttpMethod.Post, path, body);

    public Task<Reply> PatchAsync(string path, string body) => SendAsync(HttpMethod.Patch, path, body);

    public Task<Reply> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Http.SendAsync(request);
        return new Reply((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public void Dispose() => Http.Dispose();
}

internal static class Eventually
{
    /// <summary>Polls until the condition holds; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value;
        do
        {
            value = await probe();
            if (condition(value)) return value;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"not within {timeout.TotalSeconds} s: {what} (last seen: {value})");
        return value;
    }

    public static Task<T> HoldsAsync<T>(Func<T> probe, Func<T, bool> condition, TimeSpan timeout, string what) =>
        HoldsAsync(() => Task.FromResult(probe()), condition, timeout, what);
}
