using System.Net;

namespace Appliance.Rpc;

public enum AdmissionRefusal { None, Global, PerAddress }

/// <summary>
/// A connection slot reserved before the WebSocket upgrade (so the limits hold exactly however many
/// upgrades race), given back when disposed. Refused admissions hold nothing.
/// </summary>
public sealed class ConnectionAdmission : IDisposable
{
    private readonly ConnectionRegistry? _registry;
    private readonly IPAddress? _address;
    private int _released;

    internal ConnectionAdmission(ConnectionRegistry registry, IPAddress? address)
    {
        _registry = registry;
        _address = address;
    }

    internal ConnectionAdmission(AdmissionRefusal refusal, string message)
    {
        Refusal = refusal;
        Message = message;
        _released = 1;
    }

    public bool Admitted => Refusal == AdmissionRefusal.None;
    public AdmissionRefusal Refusal { get; }
    public string Message { get; } = "";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _registry!.Release(_address);
    }
}
