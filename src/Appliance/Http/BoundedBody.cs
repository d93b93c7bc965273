using Microsoft.AspNetCore.Http;

namespace Appliance.Http;

/// <summary>Reads a small request body whole, never holding more than its limit: the login and
/// MediaMTX's auth questions are a few hundred bytes, and a client must not make us buffer more.</summary>
public static class BoundedBody
{
    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/> (read no further than that).</summary>
    public static async Task<byte[]?> ReadAsync(HttpContext context, int maxBytes)
    {
        if (context.Request.ContentLength > maxBytes) return null;
        var buffer = new byte[maxBytes + 1];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
            if (read == 0) break;
            length += read;
        }
        return length > maxBytes ? null : buffer[..length];
    }
}
