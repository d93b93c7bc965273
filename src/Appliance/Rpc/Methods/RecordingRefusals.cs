using Appliance.Media.Recordings;

namespace Appliance.Rpc.Methods;

/// <summary>The recorder's refusals as the v1 API answers them (the codes the shipped clients know).</summary>
public static class RecordingRefusals
{
    public static int Code(RecordingRefusal refusal) => refusal switch
    {
        RecordingRefusal.CameraUnavailable => RpcErrorCode.CameraNotFound,
        RecordingRefusal.AlreadyRecording => RpcErrorCode.RecordingInProgress,
        RecordingRefusal.NotRecording => RpcErrorCode.InvalidParams,
        RecordingRefusal.NoStorageRoom => RpcErrorCode.InsufficientStorage,
        // The v1 API has one code for "the media side cannot do it now": the server, FFmpeg, or no CPU/memory to spare.
        RecordingRefusal.NoResources or RecordingRefusal.MediaServerUnavailable or RecordingRefusal.CouldNotStart => RpcErrorCode.MediaServerUnavailable,
        _ => RpcErrorCode.InternalError,
    };

    /// <summary>The API error for a refusal; <paramref name="field"/> names the param it is about, if any.</summary>
    public static RpcException ToRpc(RecordingRefusedException e, string? field) => new(Code(e.Refusal), e.Message, field);
}
