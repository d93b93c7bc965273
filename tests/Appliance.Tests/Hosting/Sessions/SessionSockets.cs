using System.Net.WebSockets;
using Appliance.Tests.Support;

namespace Appliance.Tests.Hosting.Sessions;

/// <summary>/ws opened as a browser would: the session cookie, and an Origin header (or none).</summary>
public static class SessionSockets
{
    public static Task<RpcTestClient> ConnectAsync(RunningHost host, string? sessionId, string? origin) =>
        RpcTestClient.ConnectAsync(host.WebSocketUri, options =>
        {
            if (sessionId is not null) options.SetRequestHeader("Cookie", $"appliance_session={sessionId}");
            if (origin is not null) options.SetRequestHeader("Origin", origin);
        });

    public static async Task AssertClosedAsync(RpcTestClient client, string reason)
    {
        await client.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((client.CloseStatus, client.Socket.CloseStatusDescription), Is.EqualTo((WebSocketCloseStatus.PolicyViolation, reason)));
    }
}
