using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Rpc.Notifications;

/// <summary>A JSON-RPC notification ({"jsonrpc":"2.0","method":...,"params":...}, no id member),
/// serialized once so the same bytes can be queued to every client that gets it.</summary>
public static class NotificationFrame
{
    public static byte[] Serialize<T>(string method, T parameters, JsonTypeInfo<T> typeInfo)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("jsonrpc"u8, "2.0"u8);
            json.WriteString("method"u8, method);
            json.WritePropertyName("params"u8);
            JsonSerializer.Serialize(json, parameters, typeInfo);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
