using Appliance.MediaMtx;

namespace Appliance.Tests.MediaMtx;

/// <summary>Test helper: waits for a path through the service's own MediaMTX client.</summary>
public static class PathReadiness
{
    /// <summary>
    /// Waits until MediaMTX reports the path ready (available) or the timeout passes. For an
    /// on-demand path something must be reading it for the publisher to start: start the reader first.
    /// </summary>
    public static async Task<bool> WaitUntilReadyAsync(this MediaMtxClient client, string path, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var status = await client.GetPathAsync(path, ct);
            if (status?.IsReady == true) return true;
            if (DateTimeOffset.UtcNow >= deadline) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
    }
}
