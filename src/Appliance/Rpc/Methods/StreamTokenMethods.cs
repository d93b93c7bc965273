using System.Globalization;
using Appliance.Configuration;
using Appliance.MediaAccess;
using Appliance.MediaMtx.Streams;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

public sealed record StreamTokenUrls(string Hls, string Whep, string WebrtcPlayer);

public sealed record StreamTokenResult(string Device, string Path, string Token, string ExpiresAt, long ExpiresIn, StreamTokenUrls Urls);

/// <summary>
/// get_stream_token {device} (viewer): a media token for the camera's MediaMTX path, and the URLs
/// that play it in a browser. The token is read-only, for that one path, and short-lived
/// (mediamtx.media_token_lifetime, never past the end of the caller's own credential); only the
/// media auth hook accepts it. It is issued whether or not the camera is streaming right now (the
/// player then reports that the stream is not available, and may retry within the token's life).
/// </summary>
public sealed class StreamTokenMethods(CameraMethods cameras, MediaTokens tokens, ConfigStore config)
{
    public void Register(RpcMethodTable table) => table.Add("get_stream_token", Role.Viewer, call =>
    {
        var camera = cameras.Find(call);
        var credentialEnd = (call.CallCredential ?? call.Connection.Auth)?.ExpiresAt;
        var token = tokens.Issue(camera.StreamPath, credentialEnd);
        var urls = StreamUrls.For(camera.StreamPath, call.Connection.RequestHost, config.Current);
        var query = "?token=" + Uri.EscapeDataString(token.Token);
        var remaining = Math.Max(0, (long)Math.Floor((token.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds));
        return ValueTask.FromResult(RpcResult.From(new StreamTokenResult(camera.Device, camera.StreamPath, token.Token,
            token.ExpiresAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), remaining,
            // WHEP: the client sends Authorization: Bearer <token> on its POST (fetch can), so the token stays out of that URL.
            new StreamTokenUrls(urls.HlsPlaylist + query, urls.Whep, urls.WebrtcPlayer + query)), RpcJsonContext.Default.StreamTokenResult));
    });
}
