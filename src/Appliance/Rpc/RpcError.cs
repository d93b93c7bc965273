namespace Appliance.Rpc;

/// <summary>JSON-RPC 2.0 standard codes and the contract's application codes.</summary>
public static class RpcErrorCode
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    public const int AuthRequired = -32001;
    public const int RateLimited = -32002;
    public const int Forbidden = -32003;
    public const int CameraNotFound = -32004;
    public const int RecordingInProgress = -32005;
    public const int MediaServerUnavailable = -32006;
    public const int InsufficientStorage = -32007;
    public const int NotSupported = -32008;
    /// <summary>install_update while an installation is still running (beyond the contract's table).</summary>
    public const int UpdateInProgress = -32009;
}

/// <summary>Thrown by method handlers to answer with a JSON-RPC error. <paramref name="Field"/>
/// names the offending parameter for -32602 (sent as <c>data.field</c>).</summary>
public sealed class RpcException(int code, string message, string? field = null, string? detail = null) : Exception(message)
{
    public int Code { get; } = code;
    public string? Field { get; } = field;
    public string? Detail { get; } = detail;

    public static RpcException InvalidParams(string field, string message) => new(RpcErrorCode.InvalidParams, $"Invalid params: {message}", field);
}
