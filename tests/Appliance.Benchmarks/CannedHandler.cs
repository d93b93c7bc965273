using System.Net;

namespace Appliance.Benchmarks;

/// <summary>Answers every request at once with fixed bytes, so a benchmark times only our side
/// (request building, JSON, the Polly pipeline, response parsing), not a server or the network.</summary>
internal sealed class CannedHandler(Func<HttpRequestMessage, byte[]> body) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body(request)) });
}
