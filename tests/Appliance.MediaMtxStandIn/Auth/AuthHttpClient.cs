using System.Text;

namespace Appliance.Testing.MediaMtx.Auth;

/// <summary>
/// Asks the configured auth server (StandInOptions.AuthHttpAddress) as MediaMTX does: a POST of
/// the JSON body; a 2xx answer allows, anything else (or no answer) refuses. A fresh connection
/// each time, like MediaMTX's per-request transport. Every question and answer is kept.
/// </summary>
public sealed class AuthHttpClient(string address, TimeSpan timeout)
{
    private readonly Lock _gate = new();
    private readonly List<(AuthHttpRequest Request, int? Status)> _asked = [];

    public string Address => address;

    /// <summary>What was asked and what the auth server answered (null: no answer), in order.</summary>
    public IReadOnlyList<(AuthHttpRequest Request, int? Status)> Asked { get { lock (_gate) return [.. _asked]; } }

    public async Task<bool> AllowsAsync(AuthHttpRequest request, CancellationToken ct = default)
    {
        int? status = null;
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = timeout };
            using var response = await http.PostAsync(address, new StringContent(request.ToJson(), Encoding.UTF8, "application/json"), ct);
            status = (int)response.StatusCode;
        }
        catch (HttpRequestException) { }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested) { }
        Record(request, status);
        return status is >= 200 and <= 299;
    }

    /// <summary>A question the relay asked itself (it reports it without the password).</summary>
    internal void Record(AuthHttpRequest request, int? status)
    {
        lock (_gate) _asked.Add((request, status));
    }
}
