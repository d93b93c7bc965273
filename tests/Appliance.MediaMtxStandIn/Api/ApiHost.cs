using System.Net;
using System.Text;
using Appliance.Testing.MediaMtx.Auth;
using Appliance.Testing.MediaMtx.Runtime;
using Appliance.Testing.MediaMtx.Exchanges;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>
/// The API's HTTP server: real Kestrel on 127.0.0.1. Every request is read whole, then goes
/// through fault injection, Basic auth (when configured) and the router; the exchange (with
/// what was really sent) is logged.
/// </summary>
internal sealed class ApiHost(ApiRouter router, StandInOptions options, MediaMtxVersion version, FaultInjector faults, ExchangeLog log,
    AuthHttpClient? authHttp)
{
    private const string GarbageBody = "<html><body><h1>502 Bad Gateway</h1></body></html>\u0000{\"items\": [";

    private LoopbackListener? _listener;

    public int Port { get; private set; }

    public async Task StartAsync(int port)
    {
        _listener = await LoopbackListener.StartAsync(port, HandleAsync);
        Port = _listener.Port;
    }

    /// <summary>Closes the listener (connections are refused from here on) and open connections.</summary>
    public async Task StopAsync()
    {
        if (_listener is null) return;
        await _listener.DisposeAsync();
        _listener = null;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var (path, query) = Target(context, rawTarget);
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        var method = context.Request.Method;
        var fault = faults.Take(method, path);

        void Log(int? status, string sent) =>
            log.Add(new ApiExchange(DateTimeOffset.UtcNow, method, rawTarget, body, status, sent, fault?.Kind));

        switch (fault?.Kind)
        {
            case FaultKind.DropConnection:
                Log(null, "");
                context.Abort();
                return;
            case FaultKind.Delay:
                try { await Task.Delay(fault.Delay, context.RequestAborted); }
                catch (OperationCanceledException) { Log(null, ""); return; } // the client gave up first
                break;
            case FaultKind.Status:
                await SendAsync(context, ApiResponse.Error(version, fault.StatusCode, $"stand-in fault: forced status {fault.StatusCode}"), Log);
                return;
            case FaultKind.GarbageBody:
                await SendAsync(context, new ApiResponse(200, GarbageBody, "application/json; charset=utf-8"), Log);
                return;
        }

        var response = await AuthenticateAsync(context) ?? router.Handle(new ApiRequest(method, path, query, body));
        if (fault?.Kind == FaultKind.TruncatedBody) await SendTruncatedAsync(context, response, Log);
        else await SendAsync(context, response, Log);
    }

    // MediaMTX: no credentials -> 401 at once with a Basic challenge; wrong ones -> 401 after a pause.
    private async Task<ApiResponse?> AuthenticateAsync(HttpContext context)
    {
        if (authHttp is not null) return await AuthenticateByHttpAsync(context, authHttp);
        if (options.Username is null) return null;
        var credentials = BasicCredentials(context.Request.Headers.Authorization.ToString());
        if (credentials == (options.Username, options.Password ?? "")) return null;
        if (credentials is null) context.Response.Headers.WWWAuthenticate = "Basic realm=\"mediamtx\"";
        else await Task.Delay(options.WrongCredentialsPause, context.RequestAborted);
        return ApiResponse.Error(version, 401, "authentication error");
    }

    // authMethod: http — MediaMTX's api middleware: action "api", credentials from the Authorization
    // header, the client's address, the raw query; any non-2xx from the auth server is a refusal.
    private async Task<ApiResponse?> AuthenticateByHttpAsync(HttpContext context, AuthHttpClient auth)
    {
        var (user, password, token) = AuthHttpRequest.FromAuthorization(context.Request.Headers.Authorization.Select(h => h ?? ""));
        var request = new AuthHttpRequest("api", context.Connection.RemoteIpAddress?.ToString() ?? "", user, password, token,
            Query: context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "",
            UserAgent: context.Request.Headers.UserAgent.ToString());
        if (await auth.AllowsAsync(request, context.RequestAborted)) return null;
        if (request.HasNoCredentials) context.Response.Headers.WWWAuthenticate = "Basic realm=\"mediamtx\"";
        else await Task.Delay(options.WrongCredentialsPause, context.RequestAborted);
        return ApiResponse.Error(version, 401, "authentication error");
    }

    private static (string User, string Pass)? BasicCredentials(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException) { return null; }
    }

    private static async Task SendAsync(HttpContext context, ApiResponse response, Action<int?, string> log)
    {
        context.Response.StatusCode = response.Status;
        var bytes = Encoding.UTF8.GetBytes(response.Body ?? "");
        if (response.ContentType is not null) context.Response.ContentType = response.ContentType;
        context.Response.ContentLength = bytes.Length;
        log(response.Status, response.Body ?? "");
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    // Announce the whole body, send half, then cut the connection: the client sees a short read.
    private static async Task SendTruncatedAsync(HttpContext context, ApiResponse response, Action<int?, string> log)
    {
        var bytes = Encoding.UTF8.GetBytes(response.Body is { Length: > 1 } body ? body : "{\"status\":\"ok\"}");
        var half = bytes.Length / 2;
        context.Response.StatusCode = response.Status;
        context.Response.ContentType = response.ContentType ?? "application/json; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        log(response.Status, Encoding.UTF8.GetString(bytes, 0, half));
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, half), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        context.Abort();
    }

    // gin routes on the URL path decoded once (so %2F is a slash inside a name); Kestrel's
    // Request.Path keeps %2F encoded, hence the raw target.
    private static (string Path, Dictionary<string, string> Query) Target(HttpContext context, string raw)
    {
        var mark = raw.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(mark < 0 ? raw : raw[..mark]);
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, values) in context.Request.Query)
            query[key] = values.FirstOrDefault() ?? "";
        return (path, query);
    }
}
