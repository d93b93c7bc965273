namespace Appliance.Hosting;

/// <summary>Whether an HTTP request may go on and, when not, the status and the plain-words reason to send.</summary>
public sealed record HttpAuthDecision(bool Allowed, int Status, string Message)
{
    public static readonly HttpAuthDecision Allow = new(true, 200, "");

    public static HttpAuthDecision Refuse(string message, int status = 401) => new(false, status, message);
}
