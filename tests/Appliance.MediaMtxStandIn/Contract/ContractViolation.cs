namespace Appliance.Testing.MediaMtx.Contract;

/// <summary>
/// One way a request or response departs from openapi.yaml. <see cref="Where"/> is a JSON path
/// into the body ("$.items[0].readyTime") or the part of the exchange ("request.query.page",
/// "response.status").
/// </summary>
public sealed record ContractViolation(string Where, string Message)
{
    public override string ToString() => $"{Where}: {Message}";
}
