using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Rpc;

/// <summary>A method's result, written with its source-generated type info (no reflection).</summary>
public abstract class RpcResult
{
    public abstract void WriteTo(Utf8JsonWriter writer);

    public static RpcResult From<T>(T value, JsonTypeInfo<T> typeInfo) => new Typed<T>(value, typeInfo);

    /// <summary>The result of a handler that answers without waiting.</summary>
    public static ValueTask<RpcResult> Completed<T>(T value, JsonTypeInfo<T> typeInfo) => ValueTask.FromResult(From(value, typeInfo));

    private sealed class Typed<T>(T value, JsonTypeInfo<T> typeInfo) : RpcResult
    {
        public override void WriteTo(Utf8JsonWriter writer) => JsonSerializer.Serialize(writer, value, typeInfo);
    }
}
