using Appliance.Gpio;
using Appliance.Health;
using Appliance.Rpc;
using Appliance.Rpc.Methods;
using Appliance.Rpc.Notifications;
using Appliance.Security;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting.Composition;

/// <summary>The JSON-RPC API: connections (bounded), every method, the dispatcher, notifications from
/// the hub, and the WebSocket endpoint. <see cref="GoAway"/> is cancelled by the shutdown sequence
/// once the last notifications are queued: then clients get 1001.</summary>
internal sealed record JsonRpcParts(RpcMetrics Metrics, ConnectionRegistry Connections, WebSocketEndpoint Endpoint, CancellationTokenSource GoAway)
{
    public static JsonRpcParts Add(HostContext host, SecurityParts security, CamerasParts cameras, MediaServerParts mediaServer, MediaParts media,
        StorageParts storage, UpdateParts update, GpioService gpio)
    {
        var config = host.Config;
        var metrics = new RpcMetrics();
        var connections = new ConnectionRegistry(metrics);
        EndSessionsWithTheirCredential(host, security, connections);

        var methods = new RpcMethodTable();
        new AuthMethods(security.Authenticator, security.AuthFailures, host.Log<AuthMethods>()).Register(methods);
        new SystemMethods(config, host.Health, metrics, new ProcessStats(), methods, host.Events, connections, media.Recorder, media.Encoders).Register();
        var cameraMethods = new CameraMethods(cameras.Registry, config, mediaServer.Client, media.Recorder);
        cameraMethods.Register(methods);
        new MediaMethods(cameraMethods, media.Snapshots, media.Recorder, () => config.Current.Recording.MaxDuration, media.RecordingOptions).Register(methods);
        new StreamMethods(mediaServer.Client).Register(methods);
        new StreamTokenMethods(cameraMethods, security.MediaTokens, config).Register(methods);
        new EventMethods(connections, cameras.Registry).Register(methods);
        new GpioMethods(gpio).Register(methods);
        new FileMethods(storage.Catalog, media.RecordingEnds).Register(methods);
        new StorageMethods(storage.Catalog, storage.Guard, storage.Retention).Register(methods);
        new UpdateMethods(config, update.Rauc, update.MarkGood, update.Installer, update.Reboot).Register(methods);
        methods.Freeze();
        foreach (var m in methods.All) metrics.RegisterMethod(m.Name);

        // security.rate_limit_* reload live: every open connection gets the new budget.
        config.Changed += change =>
        {
            if (change.AppliedKeys.Any(k => k.StartsWith("security.rate_limit_", StringComparison.Ordinal)))
                foreach (var c in connections.All) c.ReplaceRequestBucket(RequestBucket.For(change.Current.Security));
        };
        var dispatcher = new RpcDispatcher(methods, security.Authenticator, metrics, host.Log<RpcDispatcher>(),
            maxBatch: () => config.Current.Server.MaxBatch, authFailures: security.AuthFailures);
        new EventNotifier(connections, config).Attach(host.Events);
        var goAway = new CancellationTokenSource();
        host.Lifetime.ApplicationStopped.Register(goAway.Dispose);
        var endpoint = new WebSocketEndpoint(config, dispatcher, connections, metrics, security.Authenticator, security.AuthFailures, security.Sessions,
            host.Log<WebSocketEndpoint>(), goAway.Token);
        return new JsonRpcParts(metrics, connections, endpoint, goAway);
    }

    // A console session that ends early (logout, eviction, revoked key) closes the sockets bound to it;
    // revoking a key (appliance --revoke-api-key) ends the sessions bound to it at once.
    private static void EndSessionsWithTheirCredential(HostContext host, SecurityParts security, ConnectionRegistry connections)
    {
        security.Sessions.Ended += (session, _) => connections.EndConsoleSession(session.Id, "session ended");
        security.ApiKeys.Changed += () =>
        {
            var ended = connections.EndRevokedApiKeySessions(security.ApiKeys) + security.Sessions.EndRevokedApiKeySessions(security.ApiKeys);
            if (ended > 0) host.Log<ApiKeyStore>().LogInformation("API key file changed: {Count} session(s) of revoked keys ended", ended);
        };
    }
}
