using System.Net;
using System.Text.Json;
using Appliance.Configuration;
using Appliance.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Appliance.MediaAccess;

/// <summary>
/// The endpoint MediaMTX's authHTTPAddress points at (POST /mediamtx/auth). It has a Kestrel
/// listener of its own on 127.0.0.1 (mediamtx.auth_hook_port): MediaMTX waits for this answer
/// before every viewer, publisher and API call, so a flood on the public API port must not be
/// able to queue in front of it, and nothing else is served on that port. Requests reaching the
/// public port never get here.
/// </summary>
public sealed class MediaAuthHook(MediaAccessPolicy policy, ILogger<MediaAuthHook> log)
{
    public const string Path = "/mediamtx/auth";

    /// <summary>MediaMTX's body is a few hundred bytes (a JWT included); anything far larger is not MediaMTX.</summary>
    public const int MaxBodyBytes = 8 * 1024;

    /// <summary>Adds the loopback listener. Returns its port as bound (known once Kestrel has started;
    /// tests ask for port 0, and Kestrel writes the real one back into the listen options).</summary>
    public static Func<int> AddListener(IWebHostBuilder web, MediaMtxSection config, int? portOverride)
    {
        ListenOptions? listener = null;
        web.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, portOverride ?? config.AuthHookPort, l => listener = l));
        return () => listener?.IPEndPoint?.Port ?? -1;
    }

    /// <summary>Every request on the hook's port goes to the hook, and only those: branched off before
    /// the rest of the pipeline (WebSocket, health, downloads).</summary>
    public void Map(WebApplication app, Func<int> hookPort) =>
        app.MapWhen(context => context.Connection.LocalPort == hookPort(), branch => branch.Run(HandleAsync));

    internal async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        if (context.Connection.RemoteIpAddress is not { } remote || !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote))
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        if (context.Request.Path != Path || !HttpMethods.IsPost(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (await BoundedBody.ReadAsync(context, MaxBodyBytes) is not { } body)
        {
            response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return;
        }

        MediaAuthRequest? request;
        try { request = JsonSerializer.Deserialize(body, MediaAccessJsonContext.Default.MediaAuthRequest); }
        catch (JsonException) { request = null; }
        if (request is null)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var decision = policy.Decide(request);
        response.StatusCode = decision switch
        {
            MediaAccessDecision.Allow => StatusCodes.Status200OK,
            MediaAccessDecision.NoCredential => StatusCodes.Status401Unauthorized,
            MediaAccessDecision.Throttled => StatusCodes.Status429TooManyRequests,
            MediaAccessDecision.UnknownAction => StatusCodes.Status400BadRequest,
            _ => StatusCodes.Status403Forbidden,
        };
        // Never the credential itself; MediaMTX logs its own line with the client's address too.
        // While an address is throttled its attempts are not logged one by one (a flood would fill the journal).
        if (decision is MediaAccessDecision.Deny or MediaAccessDecision.Throttled)
            log.Log(decision == MediaAccessDecision.Deny ? LogLevel.Information : LogLevel.Debug,"Media {Action} of '{Path}' over {Protocol} from {Ip} refused: {Decision}",
                request.Action, request.Path, request.Protocol, request.Ip, decision);
    }

}
