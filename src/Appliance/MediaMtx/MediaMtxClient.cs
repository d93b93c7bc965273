using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.MediaMtx.Circuit;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Appliance.MediaMtx;

/// <summary>
/// MediaMTX control API v3 over one pooled HttpClient, with source-generated JSON. Every call runs
/// through one resilience pipeline (Polly): a per-call timeout from config inside a
/// <see cref="ConsecutiveFailuresCircuit"/> that opens after health_failure_threshold consecutive
/// "unavailable" failures and then fails calls fast for health_circuit_breaker_timeout. So no call
/// can hang a caller, and a dead MediaMTX costs callers nothing while the circuit is open.
/// </summary>
public sealed class MediaMtxClient : IDisposable
{
    private readonly ConfigStore _config;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline;
    private readonly ConsecutiveFailuresCircuit _circuit;

    /// <param name="events">Where the circuit publishes its changes (<see cref="MediaMtxCircuitChanged"/>).</param>
    public MediaMtxClient(ConfigStore config, EventHub events, MediaCredentials? credentials = null)
        : this(config, new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(Math.Min(config.Current.Mediamtx.RequestTimeout, 5)),
            MaxConnectionsPerServer = 8,
            UseProxy = false,
        }, events, credentials)
    {
    }

    /// <summary>With another transport: the benchmarks use an in-memory handler to time our own side alone.</summary>
    internal MediaMtxClient(ConfigStore config, HttpMessageHandler handler, EventHub events, MediaCredentials? credentials = null)
    {
        _config = config;
        var m = config.Current.Mediamtx;
        Credentials = credentials ?? MediaCredentials.Generate(m);
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{(m.Host.Contains(':') ? $"[{m.Host}]" : m.Host)}:{m.ApiPort}/"),
            // The pipeline's timeout governs; this is only a backstop.
            Timeout = TimeSpan.FromSeconds(m.RequestTimeout * 4 + 5),
        };
        // Always sent: MediaMTX asks the auth hook about every API call (action "api").
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Credentials.Api.User}:{Credentials.Api.Password}")));

        // Both read at call time: mediamtx.health_* and request_timeout reload live.
        _circuit = new ConsecutiveFailuresCircuit(() => _config.Current.Mediamtx.HealthFailureThreshold,
            () => TimeSpan.FromSeconds(_config.Current.Mediamtx.HealthCircuitBreakerTimeout), events);
        _pipeline = new ResiliencePipelineBuilder()
            // Only "the server is not there" trips it: NotFound, BadRequest and the like are answers.
            .AddConsecutiveFailuresCircuit(_circuit, e => e is MediaMtxException { Kind: MediaMtxErrorKind.Unavailable })
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = _ => ValueTask.FromResult(TimeSpan.FromSeconds(_config.Current.Mediamtx.RequestTimeout)),
            })
            .Build();
    }

    /// <summary>What this service presents to MediaMTX: the API credential (sent here), the read
    /// credential of the recorder and snapshots, the publish credential of the runOnDemand commands.</summary>
    public MediaCredentials Credentials { get; }

    /// <summary>Open while MediaMTX is taken for down: calls fail fast without asking it.</summary>
    public CircuitState Circuit => _circuit.State;

    /// <summary>MediaMTX is back (its API port accepts again): let the next call through at once instead
    /// of after the rest of the circuit's break.</summary>
    public void EndCircuitBreak() => _circuit.EndBreak();

    /// <summary>Version and start time, or null for MediaMTX before v1.15.2 (no /v3/info).</summary>
    public async Task<ServerInfo?> GetInfoAsync(CancellationToken ct)
    {
        try { return await GetAsync("v3/info", MediaMtxJsonContext.Default.ServerInfo, ct); }
        catch (MediaMtxException e) when (e.Kind == MediaMtxErrorKind.NotFound) { return null; }
    }

    public Task<Dictionary<string, JsonElement>> GetGlobalConfigAsync(CancellationToken ct) =>
        GetAsync("v3/config/global/get", MediaMtxJsonContext.Default.DictionaryStringJsonElement, ct);

    public async Task<List<PathConf>> ListPathConfigsAsync(CancellationToken ct) =>
        await ListAllAsync("v3/config/paths/list", MediaMtxJsonContext.Default.PathConfList, l => (l.Items, l.PageCount), ct);

    public async Task<PathConf?> GetPathConfigAsync(string name, CancellationToken ct)
    {
        try { return await GetAsync($"v3/config/paths/get/{Escape(name)}", MediaMtxJsonContext.Default.PathConf, ct); }
        catch (MediaMtxException e) when (e.Kind == MediaMtxErrorKind.NotFound) { return null; }
    }

    public Task AddPathConfigAsync(string name, PathConf conf, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"v3/config/paths/add/{Escape(name)}", Json(conf, MediaMtxJsonContext.Default.PathConf), ct);

    public Task PatchPathConfigAsync(string name, PathConf conf, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, $"v3/config/paths/patch/{Escape(name)}", Json(conf, MediaMtxJsonContext.Default.PathConf), ct);

    public Task DeletePathConfigAsync(string name, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"v3/config/paths/delete/{Escape(name)}", null, ct);

    public async Task<List<PathStatus>> ListPathsAsync(CancellationToken ct) =>
        await ListAllAsync("v3/paths/list", MediaMtxJsonContext.Default.PathStatusList, l => (l.Items, l.PageCount), ct);

    /// <summary>A path's runtime state, or null when MediaMTX has no such path (yet).</summary>
    public async Task<PathStatus?> GetPathAsync(string name, CancellationToken ct)
    {
        try { return await GetAsync($"v3/paths/get/{Escape(name)}", MediaMtxJsonContext.Default.PathStatus, ct); }
        catch (MediaMtxException e) when (e.Kind == MediaMtxErrorKind.NotFound) { return null; }
    }

    public async Task<List<Recording>> ListRecordingsAsync(CancellationToken ct) =>
        await ListAllAsync("v3/recordings/list", MediaMtxJsonContext.Default.RecordingList, l => (l.Items, l.PageCount), ct);

    // Lists are paginated ({itemCount, pageCount, items}); walk every page.
    private async Task<List<TItem>> ListAllAsync<TList, TItem>(string path, JsonTypeInfo<TList> info, Func<TList, (List<TItem> Items, int Pages)> read, CancellationToken ct)
    {
        const int perPage = 100;
        var all = new List<TItem>();
        for (var page = 0; page < 1000; page++)
        {
            var list = await GetAsync($"{path}?itemsPerPage={perPage}&page={page}", info, ct);
            var (items, pages) = read(list);
            all.AddRange(items);
            if (page + 1 >= pages || items.Count == 0) break;
        }
        return all;
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken ct)
    {
        var body = await SendAsync(HttpMethod.Get, path, null, ct);
        try
        {
            return JsonSerializer.Deserialize(body, info) ?? throw new JsonException("null body");
        }
        catch (JsonException ex)
        {
            throw new MediaMtxException(MediaMtxErrorKind.Unavailable, $"MediaMTX answered {path} with an unreadable body: {ex.Message}", 200, ex);
        }
    }

    private static HttpContent Json<T>(T value, JsonTypeInfo<T> info) =>
        new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, info)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

    /// <summary>One request through the pipeline; the body of a 2xx answer, else a typed error.</summary>
    private async Task<byte[]> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        try
        {
            return await _pipeline.ExecuteAsync(async token =>
            {
                try
                {
                    return await SendOnceAsync(method, path, content, token);
                }
                catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
                {
                    // The pipeline's timeout, not the caller: a failure of the server, and counted as one.
                    throw new MediaMtxException(MediaMtxErrorKind.Unavailable,
                        $"MediaMTX did not answer {method} /{path} within {_config.Current.Mediamtx.RequestTimeout} s", null, ex);
                }
            }, ct);
        }
        catch (BrokenCircuitException ex)
        {
            var wait = Math.Max(0, (ex.RetryAfter ?? TimeSpan.Zero).TotalSeconds);
            throw new MediaMtxException(MediaMtxErrorKind.Unavailable,
                $"MediaMTX unavailable: circuit open after repeated failures, next try in {wait:F0} s", null, ex);
        }
        finally
        {
            content?.Dispose();
        }
    }

    private async Task<byte[]> SendOnceAsync(HttpMethod method, string path, HttpContent? content, CancellationToken token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
        }
        catch (HttpRequestException ex)
        {
            throw new MediaMtxException(MediaMtxErrorKind.Unavailable, $"MediaMTX API at {_http.BaseAddress} unreachable: {ex.Message}", null, ex);
        }
        using (response)
        {
            byte[] body;
            try
            {
                body = await response.Content.ReadAsByteArrayAsync(token);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                throw new MediaMtxException(MediaMtxErrorKind.Unavailable, $"MediaMTX cut its answer to {method} /{path} short: {ex.Message}", (int)response.StatusCode, ex);
            }
            if (response.IsSuccessStatusCode) return body;
            throw Error(response.StatusCode, body, method, path);
        }
    }

    // Error bodies: {"status":"error","error":"..."} (v1.15.5+), {"error":"..."} (older) or empty.
    private static MediaMtxException Error(HttpStatusCode status, byte[] body, HttpMethod method, string path)
    {
        string? message = null;
        try
        {
            if (body.Length > 0) message = JsonSerializer.Deserialize(body, MediaMtxJsonContext.Default.ErrorBody)?.Error;
        }
        catch (JsonException) { }
        message ??= body.Length > 0 && body.Length < 300 ? Encoding.UTF8.GetString(body).Trim() : status.ToString();
        var what = $"MediaMTX refused {method} /{path}: {message}";
        return status switch
        {
            HttpStatusCode.NotFound => new MediaMtxException(MediaMtxErrorKind.NotFound, what, 404),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new MediaMtxException(MediaMtxErrorKind.Unauthorized,
                $"MediaMTX refused the API credentials ({message}); check mediamtx.api_username/api_password", (int)status),
            HttpStatusCode.BadRequest when message.Contains("already exists", StringComparison.OrdinalIgnoreCase) =>
                new MediaMtxException(MediaMtxErrorKind.AlreadyExists, what, 400),
            HttpStatusCode.BadRequest => new MediaMtxException(MediaMtxErrorKind.BadRequest, what, 400),
            _ => new MediaMtxException(MediaMtxErrorKind.Unavailable, what, (int)status),
        };
    }

    private static string Escape(string name) => Uri.EscapeDataString(name);

    public void Dispose() => _http.Dispose();
}
