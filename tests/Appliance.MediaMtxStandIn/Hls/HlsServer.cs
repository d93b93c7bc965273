using System.Net;
using System.Text;
using Appliance.Testing.MediaMtx.Auth;
using Appliance.Testing.MediaMtx.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Testing.MediaMtx.Hls;

/// <summary>
/// MediaMTX's HLS server (v1.20.1, internal/servers/hls/http_server.go) on 127.0.0.1:
/// <list type="bullet">
/// <item><c>GET /PATH/index.m3u8</c> without <c>cookieCheck=1</c>: 302 to the same URL with it (and a
/// cookieCheck cookie), as MediaMTX does to learn whether the client keeps cookies.</item>
/// <item>With it: the auth server is asked (action read, protocol hls, the query without cookieCheck,
/// Bearer token or Basic user/password, a session id). No credential and refused: 401 with
/// <c>WWW-Authenticate: Basic realm="mediamtx"</c> at once; a credential refused: 401 after the
/// wrong-credentials pause. Allowed: a session (its secret in an <c>hlsSession</c> cookie when the
/// cookieCheck cookie came back, else in the query as <c>session=</c>) and the playlist, whose URIs
/// carry the query as gohlslib writes them.</item>
/// <item>Media playlist, init and segments: only with a live session of the same client address, else 401.</item>
/// <item>CORS: <c>Access-Control-Allow-Origin: *</c> (hlsAllowOrigins' default); an OPTIONS preflight gets 204
/// with <c>Access-Control-Allow-Methods: OPTIONS, GET</c> and <c>Access-Control-Allow-Headers: Authorization, Range</c>.</item>
/// </list>
/// Bounded: one muxer per path and at most <see cref="MaxMuxers"/>, at most <see cref="MaxSessions"/>
/// sessions (the oldest is dropped). Not modelled: the hls.js player page at <c>/PATH/</c>, CDN secret,
/// low-latency parts (FFmpeg writes plain fMP4 segments), encryption.
/// </summary>
internal sealed class HlsServer(StandInOptions options, AuthHttpClient? authHttp, Func<string, bool> isConfigured, Func<int> rtspPort)
{
    public const int MaxMuxers = 16;
    public const int MaxSessions = 256;
    private const string SessionCookie = "hlsSession";
    private const string SessionParameter = "session";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HlsMuxer> _muxers = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, HlsSession> _sessions = [];
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private LoopbackListener? _listener;
    private Timer? _reaper;

    public int Port { get; private set; }

    /// <summary>The paths that have an FFmpeg muxer now, with its process id.</summary>
    public IReadOnlyDictionary<string, int> Muxers
    {
        get { lock (_gate) return _muxers.Where(m => !m.Value.HasExited).ToDictionary(m => m.Key, m => m.Value.ProcessId); }
    }

    public async Task StartAsync(int port)
    {
        _listener = await LoopbackListener.StartAsync(port, HandleAsync);
        Port = _listener.Port;
        var period = TimeSpan.FromSeconds(Math.Clamp(options.HlsMuxerCloseAfter.TotalSeconds / 3, 0.2, 5));
        _reaper = new Timer(_ => CloseIdle(), null, period, period);
    }

    public async Task StopAsync()
    {
        _reaper?.Dispose();
        _reaper = null;
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
            _listener = null;
        }
        KillAllNow();
    }

    /// <summary>Stops every muxer's FFmpeg now and deletes its files.</summary>
    public void KillAllNow()
    {
        List<HlsMuxer> all;
        lock (_gate)
        {
            all = [.. _muxers.Values];
            _muxers.Clear();
            _sessions.Clear();
        }
        foreach (var m in all) m.Dispose();
    }

    private void CloseIdle()
    {
        List<HlsMuxer> idle;
        lock (_gate)
        {
            var cutoff = DateTime.UtcNow - options.HlsMuxerCloseAfter;
            idle = [.. _muxers.Values.Where(m => m.LastRequest < cutoff || m.HasExited)];
            foreach (var m in idle)
            {
                _muxers.Remove(m.PathName);
                foreach (var s in _sessions.Where(s => s.Value.Path == m.PathName).Select(s => s.Key).ToList()) _sessions.Remove(s);
            }
        }
        foreach (var m in idle) m.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["Server"] = "mediamtx";
        response.Headers.AccessControlAllowOrigin = "*";
        if (HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            response.Headers.AccessControlAllowMethods = "OPTIONS, GET";
            response.Headers.AccessControlAllowHeaders = "Authorization, Range";
            response.StatusCode = 204;
            return;
        }
        if (!HttpMethods.IsGet(request.Method))
        {
            response.StatusCode = 404;
            return;
        }

        var target = Uri.UnescapeDataString(request.Path.Value ?? "/").TrimStart('/');
        var slash = target.LastIndexOf('/');
        if (slash <= 0 || !(target.EndsWith(".m3u8", StringComparison.Ordinal) || target.EndsWith(".mp4", StringComparison.Ordinal)))
        {
            response.StatusCode = 404; // the player page (/PATH/) is not modelled
            return;
        }
        var path = target[..slash];
        var file = target[(slash + 1)..];
        if (file == HlsMuxer.MultivariantPlaylist) await MultivariantAsync(context, path);
        else await FileAsync(context, path, file);
    }

    private async Task MultivariantAsync(HttpContext context, string path)
    {
        var request = context.Request;
        var query = HlsQuery.Parse(request.QueryString.Value);
        if (query.Get("cookieCheck") != "1")
        {
            context.Response.Headers.Append("Set-Cookie", "cookieCheck=1; Path=/; HttpOnly; Secure; SameSite=None; Partitioned");
            context.Response.Headers.Location = "/" + path + "/" + HlsMuxer.MultivariantPlaylist + "?" + query.With("cookieCheck", "1").Encode();
            context.Response.StatusCode = 302;
            return;
        }
        query = query.Without("cookieCheck");

        var (user, password, token) = AuthHttpRequest.FromAuthorization(request.Headers.Authorization.Select(h => h ?? ""));
        var ip = context.Connection.RemoteIpAddress?.ToString() ?? "";
        var sessionId = Guid.NewGuid();
        var auth = new AuthHttpRequest("read", ip, user, password, token, path, "hls", sessionId, query.Encode(), request.Headers.UserAgent.ToString());
        if (!await AllowsAsync(auth, context.RequestAborted))
        {
            if (auth.HasNoCredentials) context.Response.Headers.WWWAuthenticate = "Basic realm=\"mediamtx\"";
            else await Task.Delay(options.WrongCredentialsPause, context.RequestAborted);
            await ErrorAsync(context, 401, "authentication error");
            return;
        }
        if (!isConfigured(path))
        {
            await ErrorAsync(context, 500, $"path '{path}' is not configured");
            return;
        }

        var muxer = await GetOrStartMuxerAsync(path, RelayUrl(path, user, password, token, query), context.RequestAborted);
        if (muxer is null)
        {
            await ErrorAsync(context, 503, $"too many HLS muxers (at most {MaxMuxers})");
            return;
        }
        if (!await muxer.WaitReadyAsync(options.HlsStartTimeout, context.RequestAborted))
        {
            await ErrorAsync(context, 404, $"no stream is available on path '{path}'" + (muxer.HasExited ? $": {muxer.Errors}" : ""));
            return;
        }

        var secret = Guid.NewGuid();
        lock (_gate)
        {
            if (_sessions.Count >= MaxSessions) _sessions.Remove(_sessions.MinBy(s => s.Value.Created).Key);
            _sessions[secret] = new HlsSession(path, ip, DateTime.UtcNow);
        }
        if (request.Cookies["cookieCheck"] == "1")
            context.Response.Headers.Append("Set-Cookie", $"{SessionCookie}={secret}; Path=/; HttpOnly; Secure; SameSite=None; Partitioned");
        else
            query = query.With(SessionParameter, secret.ToString());
        await WritePlaylistAsync(context, muxer.Multivariant(), query.Encode());
    }

    private async Task FileAsync(HttpContext context, string path, string file)
    {
        HlsMuxer? muxer;
        HlsSession? session = null;
        var raw = context.Request.Cookies[SessionCookie] ?? HlsQuery.Parse(context.Request.QueryString.Value).Get(SessionParameter);
        lock (_gate)
        {
            _muxers.TryGetValue(path, out muxer);
            if (Guid.TryParse(raw, out var secret) && _sessions.TryGetValue(secret, out var s) && s.Path == path
                && s.Ip == (context.Connection.RemoteIpAddress?.ToString() ?? ""))
                session = s;
        }
        if (muxer is null || session is null)
        {
            await ErrorAsync(context, 401, "authentication error");
            return;
        }
        muxer.Touch();
        if (file.EndsWith(".m3u8", StringComparison.Ordinal))
        {
            await PlaylistAsync(context, muxer, file, context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "");
            return;
        }
        if (muxer.FindFile(file) is not { } found)
        {
            context.Response.StatusCode = 404;
            return;
        }
        context.Response.Headers.CacheControl = "private, no-cache";
        context.Response.ContentType = "video/mp4";
        byte[] bytes;
        try { bytes = await File.ReadAllBytesAsync(found, context.RequestAborted); }
        catch (FileNotFoundException) { context.Response.StatusCode = 404; return; } // deleted as the list moved on
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    // The playlist FFmpeg wrote, with the query appended to every URI (as gohlslib does), so the
    // session (and whatever else the client put in the query) reaches the next requests.
    private static async Task PlaylistAsync(HttpContext context, HlsMuxer muxer, string name, string query)
    {
        muxer.Touch();
        if (muxer.FindFile(name) is not { } file)
        {
            context.Response.StatusCode = 404;
            return;
        }
        await WritePlaylistAsync(context, await File.ReadAllTextAsync(file, context.RequestAborted), query);
    }

    private static async Task WritePlaylistAsync(HttpContext context, string playlist, string query)
    {
        var body = Encoding.UTF8.GetBytes(HlsQuery.AppendToUris(playlist, query));
        context.Response.Headers.CacheControl = "private, no-cache";
        context.Response.ContentType = "application/vnd.apple.mpegurl";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private async Task<HlsMuxer?> GetOrStartMuxerAsync(string path, string rtspUrl, CancellationToken ct)
    {
        await _startGate.WaitAsync(ct);
        try
        {
            lock (_gate)
            {
                if (_muxers.TryGetValue(path, out var running) && !running.HasExited)
                {
                    running.Touch();
                    return running;
                }
            }
            HlsMuxer? dead = null;
            lock (_gate)
            {
                if (_muxers.Remove(path, out var gone)) dead = gone;
                if (_muxers.Count >= MaxMuxers) return null;
            }
            dead?.Dispose();
            var muxer = HlsMuxer.Start(path, rtspUrl, options.FfmpegPath);
            lock (_gate) _muxers[path] = muxer;
            return muxer;
        }
        finally
        {
            _startGate.Release();
        }
    }

    // MediaMTX reads its own stream; the stand-in's muxer is a reader of its relay, which asks the
    // auth server itself: it reads with the credential the HLS client was allowed with.
    private string RelayUrl(string path, string user, string password, string token, HlsQuery query)
    {
        if (token.Length > 0) query = query.With("token", token);
        var userInfo = user.Length > 0 || password.Length > 0 ? $"{Uri.EscapeDataString(user.Length > 0 ? user : "hls")}:{Uri.EscapeDataString(password)}@" : "";
        var q = query.Encode();
        return $"rtsp://{userInfo}127.0.0.1:{rtspPort()}/{path}" + (q.Length > 0 ? "?" + q : "");
    }

    private async Task<bool> AllowsAsync(AuthHttpRequest request, CancellationToken ct)
    {
        if (authHttp is not null) return await authHttp.AllowsAsync(request, ct);
        // authMethod internal: the stand-in's one user (when configured), else anyone may read.
        return options.Username is null || (request.User == options.Username && request.Password == (options.Password ?? ""));
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        var body = Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject { ["status"] = "error", ["error"] = message }.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private sealed record HlsSession(string Path, string Ip, DateTime Created);
}
