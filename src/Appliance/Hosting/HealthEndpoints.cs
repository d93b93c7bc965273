using System.Text.Json;
using Appliance.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Appliance.Hosting;

public sealed record HealthResponse(string Status, double Uptime, string Version, Dictionary<string, string> Components);

/// <summary>/health/live (the process answers) and /health/ready (it serves the API); JSON, no auth,
/// so a load balancer, systemd or a technician's curl can ask without a credential.</summary>
public static class HealthEndpoints
{
    public static void Map(WebApplication app, HealthRegistry health)
    {
        app.MapGet("/health/live", (RequestDelegate)(context =>
            Write(context, StatusCodes.Status200OK, new HealthResponse("alive", Math.Round(AppInfo.Uptime.TotalSeconds, 3), AppInfo.Version, []))));

        app.MapGet("/health/ready", (RequestDelegate)(context =>
        {
            var components = health.Snapshot().ToDictionary(c => c.Name, c => HealthRegistry.StateName(c.State));
            var ready = health.Get(HealthComponents.ApiServer)?.State == ComponentState.Running;
            return Write(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
                new HealthResponse(ready ? "ready" : "not_ready", Math.Round(AppInfo.Uptime.TotalSeconds, 3), AppInfo.Version, components));
        }));
    }

    private static Task Write(HttpContext context, int status, HealthResponse body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, HostingJsonContext.Default.HealthResponse)).AsTask();
    }
}
