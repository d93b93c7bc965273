using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Testing.MediaMtx.Runtime;

/// <summary>One of the stand-in's HTTP listeners (API, HLS): a bare Kestrel on 127.0.0.1 running one
/// handler, quiet, quick to stop (MediaMTX closes its listeners at once too).</summary>
internal sealed class LoopbackListener(WebApplication app, int port) : IAsyncDisposable
{
    public int Port { get; } = port;

    /// <summary>Listens on <paramref name="port"/> (0: a free one) and runs <paramref name="handler"/> for every request.</summary>
    public static async Task<LoopbackListener> StartAsync(int port, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        return new LoopbackListener(app, bound);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
