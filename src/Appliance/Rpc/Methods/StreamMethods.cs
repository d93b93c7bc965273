using Appliance.MediaMtx;
using Appliance.Security;

namespace Appliance.Rpc.Methods;

public sealed record StreamEntry(string Name, string? Source, bool Ready, int Readers, ulong BytesSent);

/// <summary>get_streams: MediaMTX's paths as the contract shows them (a bare array).</summary>
public sealed class StreamMethods(MediaMtxClient mediaMtx)
{
    public void Register(RpcMethodTable table) => table.Add("get_streams", Role.Viewer, async call =>
    {
        var paths = await MediaCall(() => mediaMtx.ListPathsAsync(call.Cancellation));
        var list = paths.Select(p => new StreamEntry(p.Name, p.Source?.Type, p.IsReady, p.ReaderCount, p.BytesOut)).ToList();
        return RpcResult.From(list, RpcJsonContext.Default.ListStreamEntry);
    });

    /// <summary>A MediaMTX call from a request: an unavailable media server is -32006 with its reason.</summary>
    public static async Task<T> MediaCall<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (MediaMtxException e) when (e.Kind is MediaMtxErrorKind.Unavailable or MediaMtxErrorKind.Unauthorized)
        {
            throw new RpcException(RpcErrorCode.MediaServerUnavailable, e.Message);
        }
    }
}
