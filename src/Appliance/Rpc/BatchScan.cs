using System.Text.Json;

namespace Appliance.Rpc;

/// <summary>
/// Counts a batch's elements without building it: a 1 MiB <c>[1,1,1,…]</c> is half a million
/// elements, and a JsonDocument of it would cost megabytes before the batch could be refused.
/// The reader allocates nothing; counting the whole message (at most server.max_message_size)
/// lets the refusal say how large the batch was.
/// </summary>
internal static class BatchScan
{
    /// <summary>True when <paramref name="message"/> is a JSON array with more than
    /// <paramref name="max"/> elements (<paramref name="counted"/> of them). Anything else — not an array, or not
    /// well-formed — is false and left to the parser, which says what is wrong.</summary>
    public static bool IsLargerThan(ReadOnlySpan<byte> message, int max, out int counted)
    {
        counted = 0;
        var reader = new Utf8JsonReader(message, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                counted++;
                reader.Skip();
            }
            return counted > max;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
