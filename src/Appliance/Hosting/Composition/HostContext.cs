using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Hosting.Composition;

/// <summary>What every concern's registration reads: the built app, its loggers, and the three things
/// everything shares (the config, the event hub, the health registry).</summary>
internal sealed record HostContext(WebApplication App, ILoggerFactory Loggers, ConfigStore Config, EventHub Events, HealthRegistry Health,
    HostOverrides Overrides)
{
    public IHostApplicationLifetime Lifetime => App.Lifetime;

    public ILogger<T> Log<T>() => Loggers.CreateLogger<T>();

    /// <summary>The service's state directory (storage.state_dir), read once at start as every consumer did.</summary>
    public string StateDir => Config.Current.Storage.StateDir;
}
