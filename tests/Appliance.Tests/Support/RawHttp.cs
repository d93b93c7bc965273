using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Tests.Support;

/// <summary>One HTTP/1.1 request written by hand on a TCP socket, so the request target goes out
/// exactly as given (HttpClient would normalize dot segments and re-encode).</summary>
public static class RawHttp
{
    public static async Task<(int Status, byte[] Body)> GetAsync(int port, string target, params (string Name, string Value)[] headers)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = tcp.GetStream();
        var request = new StringBuilder($"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        foreach (var (name, value) in headers) request.Append(name).Append(": ").Append(value).Append("\r\n");
        request.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));
        using var received = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await stream.CopyToAsync(received, timeout.Token);
        var all = received.ToArray();
        var text = Encoding.ASCII.GetString(all);
        var status = int.Parse(text.Split(' ')[1], CultureInfo.InvariantCulture);
        var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headerEnd < 0) return (status, []);
        var body = all[(headerEnd + 4)..];
        return (status, text[..headerEnd].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Dechunk(body) : body);
    }

    private static byte[] Dechunk(byte[] body)
    {
        using var output = new MemoryStream();
        var at = 0;
        while (at < body.Length)
        {
            var lineEnd = Array.IndexOf(body, (byte)'\n', at);
            if (lineEnd < 0) break;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(body, at, lineEnd - at).Trim().Split(';')[0], 16);
            if (size == 0) break;
            output.Write(body, lineEnd + 1, Math.Min(size, body.Length - lineEnd - 1));
            at = lineEnd + 1 + size + 2;
        }
        return output.ToArray();
    }
}
