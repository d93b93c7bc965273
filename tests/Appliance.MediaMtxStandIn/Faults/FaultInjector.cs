namespace Appliance.Testing.MediaMtx;

/// <summary>
/// The active faults. Each request takes the first matching one (in the order added); a fault
/// with a <see cref="Fault.Count"/> is used up after that many requests. Survives restarts:
/// faults model the network and the process, not MediaMTX's configuration.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<Fault> _faults = [];

    public IReadOnlyList<Fault> Active
    {
        get { lock (_gate) return _faults.ToArray(); }
    }

    public void Add(Fault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate) _faults.Add(fault);
    }

    public void Clear()
    {
        lock (_gate) _faults.Clear();
    }

    internal Fault? Take(string method, string path)
    {
        lock (_gate)
        {
            var index = _faults.FindIndex(f => f.Matches(method, path));
            if (index < 0) return null;
            var fault = _faults[index];
            if (fault.Count is { } count)
            {
                if (count <= 1) _faults.RemoveAt(index);
                else _faults[index] = fault with { Count = count - 1 };
            }
            return fault;
        }
    }
}
