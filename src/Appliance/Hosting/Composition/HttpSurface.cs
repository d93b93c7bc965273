using Appliance.Http;
using Appliance.Hosting.Sessions;
using Appliance.MediaAccess;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Appliance.Hosting.Composition;

/// <summary>Everything reachable over HTTP, in middleware order: MediaMTX's auth hook (its own loopback
/// listener, branched off first), the WebSocket API, health, console login, the console page, file
/// downloads and still images.</summary>
internal static class HttpSurface
{
    public static void Map(HostContext host, Func<int> mediaAuthHookPort, SecurityParts security, CamerasParts cameras, MediaServerParts mediaServer,
        MediaParts media, StorageParts storage, JsonRpcParts api)
    {
        var app = host.App;
        var config = host.Config;
        new MediaAuthHook(new MediaAccessPolicy(mediaServer.Credentials, security.Authenticator, config, security.AuthFailures, security.MediaTokens),
            host.Log<MediaAuthHook>()).Map(app, mediaAuthHookPort);

        app.UseWebSockets();
        app.Map(config.Current.Server.WebsocketPath, (RequestDelegate)api.Endpoint.HandleAsync);
        HealthEndpoints.Map(app, host.Health);
        new SessionEndpoints(security.Authenticator, security.AuthFailures, security.Sessions, host.Log<SessionEndpoints>()).Map(app);
        Appliance.WebConsole.ConsoleEndpoints.Map(app, config); // the field-tech page at / (Console/)
        FileDownloadEndpoints.Map(app, storage.Catalog, security.Authenticator, security.AuthFailures, security.Sessions);
        // Still images from memory (no file), viewer and up.
        StillImageEndpoints.Map(app, cameras.Registry, media.Stills,
            context => HttpCredentials.Authenticate(context, security.Authenticator, security.AuthFailures, security.Sessions));
    }
}
