using System.Globalization;
using System.Net;
using Appliance.Floor;

// The floor of issue 19: the least any .NET server built from this SDK must do to hold a
// WebSocket and answer on it. The load client's floor scenario starts this binary next to the
// service and reports service / floor for start-up, memory, idle CPU and ping cost. Nothing here
// is the appliance: a slim Kestrel host, WebSockets, one path, an immediate reply per message.
// usage: appliance-floor --port N   (listens on 127.0.0.1:N, no output, stops on SIGTERM)
if (args is not ["--port", var portText] || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
{
    Console.Error.WriteLine("usage: appliance-floor --port N (1..65535)");
    return 2;
}

// The same builder as the service (Hosting/Composition/KestrelSetup.cs), minus everything of ours.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders(); // no logging output at all
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Listen(IPAddress.Loopback, port);
});
var app = builder.Build();
app.UseWebSockets();
// No routing middleware either: one path check is the least a WebSocket endpoint needs.
app.Run(context => context.Request.Path == FloorEndpoint.Path ? FloorEndpoint.HandleAsync(context) : FloorEndpoint.NotFound(context));
await app.RunAsync();
return 0;
