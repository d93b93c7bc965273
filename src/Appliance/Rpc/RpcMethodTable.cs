using System.Collections.Frozen;
using Appliance.Security;

namespace Appliance.Rpc;

public delegate ValueTask<RpcResult> RpcHandler(RpcCall call);

/// <summary>A registered method: its least role and its handler.</summary>
public sealed record RpcMethod(string Name, Role LeastRole, RpcHandler Handler);

/// <summary>
/// The methods the server answers. Each capability registers its own group at start-up
/// (Methods/*.cs); the table is frozen before the first request, so lookups take no lock.
/// </summary>
public sealed class RpcMethodTable
{
    private readonly Dictionary<string, RpcMethod> _building = new(StringComparer.Ordinal);
    private FrozenDictionary<string, RpcMethod>? _frozen;

    public void Add(string name, Role leastRole, RpcHandler handler)
    {
        if (_frozen is not null) throw new InvalidOperationException("methods must be registered before the server starts");
        if (!_building.TryAdd(name, new RpcMethod(name, leastRole, handler)))
            throw new InvalidOperationException($"method {name} registered twice");
    }

    public void Freeze() => _frozen ??= _building.ToFrozenDictionary(StringComparer.Ordinal);

    public RpcMethod? Find(string name) => (_frozen ?? _building.ToFrozenDictionary()).GetValueOrDefault(name);

    public IEnumerable<RpcMethod> All => _frozen?.Values ?? (IEnumerable<RpcMethod>)_building.Values;
}
