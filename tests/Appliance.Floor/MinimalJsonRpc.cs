using System.Text.Json;

namespace Appliance.Floor;

/// <summary>
/// Just enough JSON-RPC for the load client's RpcClient to talk to the floor unchanged: the
/// top-level "id" (copied back byte for byte) and "method" are read with Utf8JsonReader, and the
/// answer is written from constant pieces. No JsonSerializer, no DOM, no allocation.
/// </summary>
internal static class MinimalJsonRpc
{
    private static ReadOnlySpan<byte> Start => """{"jsonrpc":"2.0","id":"""u8;
    private static ReadOnlySpan<byte> ResultKey => ""","result":"""u8;
    private static ReadOnlySpan<byte> Null => "null"u8;
    // What RpcClient.AuthenticateAsync checks (result.authenticated == true) and RpcClient.IsPong ("pong").
    private static ReadOnlySpan<byte> Authenticated => """{"authenticated":true,"role":"admin"}"""u8;
    private static ReadOnlySpan<byte> Pong => "\"pong\""u8;

    /// <summary>Writes the reply to <paramref name="request"/> into <paramref name="reply"/> (4 KiB
    /// is enough: the id is copied only when the request itself fit in 4 KiB) and returns its length.</summary>
    public static int Answer(ReadOnlySpan<byte> request, Span<byte> reply)
    {
        var method = Read(request, out var id);
        ReadOnlySpan<byte> result = method switch
        {
            Method.Authenticate => Authenticated,
            Method.Ping => Pong,
            _ => Null,
        };
        var length = 0;
        Append(reply, ref length, Start);
        Append(reply, ref length, id.IsEmpty ? Null : id);
        Append(reply, ref length, ResultKey);
        Append(reply, ref length, result);
        Append(reply, ref length, "}"u8);
        return length;
    }

    private enum Method { Other, Authenticate, Ping }

    /// <summary>The raw bytes of the top-level id (number, string with its quotes, or null) and which
    /// method was asked for; empty id and Other for anything that is not a JSON object.</summary>
    private static Method Read(ReadOnlySpan<byte> request, out ReadOnlySpan<byte> id)
    {
        id = default;
        var method = Method.Other;
        try
        {
            var reader = new Utf8JsonReader(request);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Method.Other;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType is JsonTokenType.Number or JsonTokenType.String or JsonTokenType.Null)
                        id = request[(int)reader.TokenStartIndex..(int)reader.BytesConsumed];
                    else reader.Skip();
                }
                else if (reader.ValueTextEquals("method"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                        method = reader.ValueTextEquals("ping"u8) ? Method.Ping : reader.ValueTextEquals("authenticate"u8) ? Method.Authenticate : Method.Other;
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Whatever was read before the bad byte stands; the reply still goes out.
        }
        return method;
    }

    private static void Append(Span<byte> reply, ref int length, ReadOnlySpan<byte> piece)
    {
        piece.CopyTo(reply[length..]);
        length += piece.Length;
    }
}
