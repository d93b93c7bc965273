namespace Appliance.MediaMtx;

public enum MediaMtxErrorKind { NotFound, AlreadyExists, BadRequest, Unauthorized, Unavailable }

/// <summary>A MediaMTX call that failed, with MediaMTX's own message where it gave one.
/// Unavailable covers everything that means "the media server is not there right now":
/// refused connections, timeouts, 5xx, garbage or truncated bodies, and an open circuit.</summary>
public sealed class MediaMtxException(MediaMtxErrorKind kind, string message, int? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    public MediaMtxErrorKind Kind { get; } = kind;
    public int? Status { get; } = status;
}
