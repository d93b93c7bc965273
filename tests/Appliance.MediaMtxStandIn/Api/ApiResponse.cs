using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Appliance.Testing.MediaMtx.Api;

/// <summary>What a handler answers, before any fault mangles it.</summary>
internal sealed record ApiResponse(int Status, string? Body, string? ContentType)
{
    private const string Json = "application/json; charset=utf-8"; // gin's ctx.JSON

    // Like Go's encoding/json: quotes as \" and non-ASCII text as is (not \u0022, \u00e9).
    private static readonly JsonSerializerOptions GoLike = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ApiResponse Of(JsonNode body, int status = 200) => new(status, body.ToJsonString(GoLike), Json);

    /// <summary>Success without data: {"status":"ok"} from 1.15.5, an empty 200 before.</summary>
    public static ApiResponse Ok(MediaMtxVersion version) =>
        version.HasStatusInBodies ? Of(new JsonObject { ["status"] = "ok" }) : new(200, null, null);

    /// <summary>{"status":"error","error":..} from 1.15.5, {"error":..} before.</summary>
    public static ApiResponse Error(MediaMtxVersion version, int status, string message) =>
        Of(version.HasStatusInBodies
            ? new JsonObject { ["status"] = "error", ["error"] = message }
            : new JsonObject { ["error"] = message }, status);

    /// <summary>gin's answer for a route it does not have (also for a known path with another method).</summary>
    public static ApiResponse NoRoute { get; } = new(404, "404 page not found", "text/plain");
}
