namespace Appliance.Testing.MediaMtx.Exchanges;

/// <summary>
/// One request to the stand-in's API and what it answered, for contract checks.
/// <see cref="PathAndQuery"/> is the request target exactly as the client sent it (still
/// percent-encoded).
/// <see cref="Status"/> is null when no status line was sent (connection dropped, or the client
/// gave up during an injected delay). <see cref="ResponseBody"/> is what was actually sent, so a
/// truncated body appears truncated. <see cref="Fault"/> names the injected fault, if any.
/// </summary>
public sealed record ApiExchange(
    DateTimeOffset At,
    string Method,
    string PathAndQuery,
    string RequestBody,
    int? Status,
    string ResponseBody,
    FaultKind? Fault)
{
    public override string ToString() =>
        $"{Method} {PathAndQuery} {(RequestBody.Length > 0 ? RequestBody + " " : "")}-> {(Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no response")} {ResponseBody}"
        + (Fault is { } fault ? $" [fault: {fault}]" : "");
}
