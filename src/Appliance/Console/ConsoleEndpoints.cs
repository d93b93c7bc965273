using System.Collections.Frozen;
using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using Appliance.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

// Not "Appliance.Console": a namespace of that name would hide System.Console from every
// Appliance.* namespace (Console.WriteLine would then name the namespace).
namespace Appliance.WebConsole;

/// <summary>
/// The field-tech web console: <c>GET|HEAD /</c> (index.html) and <c>/console/{file}</c> (its ES
/// modules and style sheet), on the API port and the TLS port alike. The files travel inside the
/// binary as embedded resources (logical names <c>console/…</c>, see Appliance.csproj); each is
/// gzip-compressed once, on the first request that accepts gzip, and kept (the whole console is a
/// few tens of KiB). Strong ETag (SHA-256 of the bytes) with <c>Cache-Control: no-cache</c>: the
/// browser revalidates every load and gets 304 while the binary is the same. The page is a client of
/// the public API only; it needs no endpoint of its own. Anonymous: it holds no data.
/// </summary>
public static class ConsoleEndpoints
{
    public const string AssetPrefix = "/console/";
    private const string ResourcePrefix = "console/";

    public static void Map(IEndpointRouteBuilder app, ConfigStore config)
    {
        var assets = LoadAssets();
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        var index = assets["index.html"];
        app.MapMethods("/", methods, (RequestDelegate)(context => ServeAsync(context, index, config.Current)));
        app.MapMethods(AssetPrefix + "{file}", methods, (RequestDelegate)(context =>
        {
            var name = context.Request.RouteValues["file"] as string;
            return name is not null && assets.TryGetValue(name, out var asset)
                ? ServeAsync(context, asset, config.Current)
                : NotFound(context);
        }));
    }

    /// <summary>Every embedded console file by its bare name (the folder is flat).</summary>
    internal static FrozenDictionary<string, ConsoleAsset> LoadAssets()
    {
        var assembly = typeof(ConsoleEndpoints).Assembly;
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            var name = resource[ResourcePrefix.Length..];
            assets[name] = new ConsoleAsset(name, ContentType(name), Read(assembly, resource));
        }
        if (!assets.ContainsKey("index.html")) throw new InvalidOperationException("the console's index.html is not embedded in the binary");
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".ico" => "image/x-icon",
        _ => "application/octet-stream",
    };

    private static Task ServeAsync(HttpContext context, ConsoleAsset asset, ApplianceConfig config)
    {
        var request = context.Request;
        var response = context.Response;
        var headers = response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.Vary = "Accept-Encoding";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = ConsolePolicy.For(request.Host.Host, config);
        headers.XFrameOptions = "DENY"; // frame-ancestors for browsers that predate it

        if (ConsolePolicy.Matches(request.Headers.IfNoneMatch.ToString(), asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        var body = asset.Plain;
        if (AcceptsGzip(request.Headers.AcceptEncoding.ToString()))
        {
            body = asset.Gzipped;
            headers.ContentEncoding = "gzip";
        }
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>True when Accept-Encoding lists gzip (or *) without q=0.</summary>
    internal static bool AcceptsGzip(string acceptEncoding)
    {
        foreach (var part in acceptEncoding.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var semi = part.IndexOf(';');
            var coding = semi < 0 ? part : part[..semi].Trim();
            if (!coding.Equals("gzip", StringComparison.OrdinalIgnoreCase) && coding != "*") continue;
            var parameters = semi < 0 ? "" : part[(semi + 1)..].Replace(" ", "", StringComparison.Ordinal);
            return !(parameters.StartsWith("q=0", StringComparison.Ordinal) && !parameters.AsSpan(3).ContainsAnyInRange('1', '9'));
        }
        return false;
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.WriteAsync("no such console file\n");
    }
}

/// <summary>One console file: its bytes, their strong ETag, and the gzip form made on first use.</summary>
internal sealed class ConsoleAsset(string name, string contentType, byte[] plain)
{
    private byte[]? _gzipped;

    public string Name { get; } = name;
    public string ContentType { get; } = contentType;
    public byte[] Plain { get; } = plain;
    public string ETag { get; } = "\"" + Convert.ToHexStringLower(SHA256.HashData(plain).AsSpan(0, 16)) + "\"";

    /// <summary>Compressed once (a race makes it twice, harmlessly: the same bytes either way).</summary>
    public byte[] Gzipped => _gzipped ??= Compress(Plain);

    private static byte[] Compress(byte[] plain)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(plain);
        return output.ToArray();
    }
}
