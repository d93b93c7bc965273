using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Configuration;
using Appliance.Hosting;
using Appliance.Security;
using Appliance.Security.Tls;
using Appliance.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Tests.Tls;

/// <summary>The real service host with server.tls_port set: wss:// and https:// with the device certificate
/// pinned by its fingerprint, next to the plain port.</summary>
public class HttpsListenerTests
{
    /// <summary>Accepts exactly the certificate with this SHA-256 fingerprint (what a pinning client does),
    /// and records what was presented.</summary>
    private sealed class Pin(string fingerprint)
    {
        public string? Presented { get; private set; }

        public bool Validate(object sender, X509Certificate? cert, X509Chain? chain, SslPolicyErrors errors)
        {
            Presented = cert is null ? null : CertificateFingerprint.Sha256(cert);
            return Presented == fingerprint;
        }
    }

    private static string TlsServer(TestDirectory shared) => $"tls_port = 8443\ntls_directory = \"{shared.File("tls")}\"";

    private static string FingerprintIn(TestDirectory shared) =>
        CertificateFingerprint.Sha256(X509Certificate2.CreateFromPem(File.ReadAllText(shared.File("tls/device.crt"))));

    [Test]
    public async Task WssAndHttpsServeTheSameApiAsThePlainPortWithThePinnedCertificate()
    {
        using var shared = new TestDirectory();
        await using var host = await RunningHost.StartAsync(serverExtra: TlsServer(shared));
        var pin = new Pin(FingerprintIn(shared));
        Assert.That(host.Host.TlsAddress!.Port, Is.Not.EqualTo(host.Host.BoundAddress.Port));

        await using (var tls = await RpcTestClient.ConnectAsync(host.WssUri, o => o.RemoteCertificateValidationCallback = pin.Validate))
        {
            using var auth = await tls.CallAsync("authenticate", $$"""{"auth_token":"{{host.Token(Role.Viewer)}}"}""");
            Assert.That(auth.RootElement.GetProperty("result").GetProperty("authenticated").GetBoolean(), Is.True);
            using var ping = await tls.CallAsync("ping");
            Assert.That(ping.RootElement.TryGetProperty("result", out _), Is.True, ping.RootElement.ToString());
        }
        Assert.That(pin.Presented, Is.EqualTo(FingerprintIn(shared)));

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (request, c, ch, e) => pin.Validate(request, c, ch, e) };
        using var https = new HttpClient(handler) { BaseAddress = host.HttpsUri };
        using var ready = await https.GetAsync("/health/ready");
        Assert.That((int)ready.StatusCode, Is.EqualTo(200));

        // The original clients' plain ws:// and http:// are unchanged.
        await using var plain = await host.ConnectAsync(Role.Viewer);
        using var plainPing = await plain.CallAsync("ping");
        Assert.That(plainPing.RootElement.TryGetProperty("result", out _), Is.True);
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        Assert.That((int)(await http.GetAsync("/health/ready")).StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task AClientPinningAnotherCertificateIsRefused()
    {
        using var shared = new TestDirectory();
        await using var host = await RunningHost.StartAsync(serverExtra: TlsServer(shared));
        var wrong = new Pin(string.Join(':', Enumerable.Repeat("00", 32)));
        var refused = await Assert.CatchAsync(async () => await RpcTestClient.ConnectAsync(host.WssUri, o => o.RemoteCertificateValidationCallback = wrong.Validate));
        Assert.That(refused, Is.Not.Null);
        Assert.That(wrong.Presented, Is.EqualTo(FingerprintIn(shared)), "the handshake reached the certificate check and failed there");
    }

    [Test]
    public async Task TheNextStartPresentsTheSameCertificate()
    {
        using var shared = new TestDirectory();
        string first;
        await using (var host = await RunningHost.StartAsync(serverExtra: TlsServer(shared)))
            first = await PresentedAsync(host.Host.TlsAddress!.Port, SslProtocols.None);
        Assert.That(first, Is.EqualTo(FingerprintIn(shared)));
        await using (var again = await RunningHost.StartAsync(serverExtra: TlsServer(shared)))
            Assert.That(await PresentedAsync(again.Host.TlsAddress!.Port, SslProtocols.None), Is.EqualTo(first));
    }

    [Test]
    public async Task Tls12And13AreNegotiatedAndTls11IsRefusedByTheServer()
    {
        using var shared = new TestDirectory();
        await using var host = await RunningHost.StartAsync(serverExtra: TlsServer(shared));
        var port = host.Host.TlsAddress!.Port;
        Assert.That(await NegotiatedAsync(port, SslProtocols.Tls12), Is.EqualTo(SslProtocols.Tls12));
        Assert.That(await NegotiatedAsync(port, SslProtocols.Tls13), Is.EqualTo(SslProtocols.Tls13));

        // .NET's client will not offer TLS 1.1 on this OpenSSL, so the openssl CLI offers it (security level 0, so
        // the client side allows it): the server must answer with a protocol_version alert. The same command
        // with TLS 1.2 is the control that shows the tool reaches the listener.
        var (tls12, _) = await OpenSslAsync(port, "-tls1_2");
        Assert.That(tls12, Does.Contain("Protocol  : TLSv1.2").Or.Contain("Protocol: TLSv1.2"));
        var (tls11, tls11Errors) = await OpenSslAsync(port, "-tls1_1");
        Assert.That(tls11Errors, Does.Contain("alert protocol version"), tls11 + tls11Errors);
        Assert.That(tls11, Does.Not.Contain("BEGIN CERTIFICATE"));
    }

    private static async Task<(string Out, string Err)> OpenSslAsync(int port, string protocol)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "s_client", "-connect", $"127.0.0.1:{port}", protocol, "-cipher", "DEFAULT@SECLEVEL=0", "-showcerts" }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await p.WaitForExitAsync(timeout.Token);
        return (await output, await errors);
    }

    [Test]
    public async Task WithPlainLoopbackOnlyThePlainPortIsOnLoopbackAndTlsOnTheHostAddress()
    {
        using var dir = new TestDirectory();
        var config = TlsTestCertificates.Config(dir, "host = \"0.0.0.0\"\ntls_port = 8443\nplain_loopback_only = true");
        await using var host = ApplianceHost.Create(config, null, new HostOverrides(Port: 0, WatchConfig: false, DevDirectory: dir.File("dev"), TlsPort: 0, MediaAuthHookPort: 0));
        await host.StartAsync();
        try
        {
            // Without MediaMTX's auth hook listener (plain http on 127.0.0.1, a port of its own).
            var addresses = host.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
                .Where(a => new Uri(a).Port != host.MediaAuthHookPort).ToList();
            Assert.That(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)), Does.StartWith("http://127.0.0.1:"));
            Assert.That(addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)), Does.StartWith("https://0.0.0.0:"));
        }
        finally { await host.StopAsync(); }
    }

    [Test]
    public async Task AProvidedCertificateIsServed()
    {
        using var shared = new TestDirectory();
        var (certPath, keyPath, own) = TlsTestCertificates.WriteOwnPem(shared);
        await using var host = await RunningHost.StartAsync(serverExtra: $"tls_port = 8443\ntls_certificate = \"{certPath}\"\ntls_key = \"{keyPath}\"");
        Assert.That(await PresentedAsync(host.Host.TlsAddress!.Port, SslProtocols.None), Is.EqualTo(CertificateFingerprint.Sha256(own)));
    }

    [Test]
    public async Task ACorruptProvidedCertificateStopsTheStartWithTheFileNamed()
    {
        using var shared = new TestDirectory();
        var (certPath, keyPath, _) = TlsTestCertificates.WriteOwnPem(shared);
        File.WriteAllText(certPath, "garbage");
        var e = await Assert.ThrowsAsync<DeviceCertificateException>(async () =>
            await RunningHost.StartAsync(serverExtra: $"tls_port = 8443\ntls_certificate = \"{certPath}\"\ntls_key = \"{keyPath}\""));
        Assert.That(e!.Message, Does.StartWith(certPath + ": "));
    }

    [Test]
    public async Task WithoutTlsPortNoCertificateIsMadeAndOnlyThePlainPortListens()
    {
        using var shared = new TestDirectory();
        await using var host = await RunningHost.StartAsync(serverExtra: $"tls_directory = \"{shared.File("tls")}\"");
        Assert.That(host.Host.TlsAddress, Is.Null);
        Assert.That(Directory.Exists(shared.File("tls")), Is.False);
    }

    internal static async Task<string> PresentedAsync(int port, SslProtocols protocols)
    {
        string? presented = null;
        await HandshakeAsync(port, protocols, cert => presented = CertificateFingerprint.Sha256(cert));
        return presented!;
    }

    private static async Task<SslProtocols> NegotiatedAsync(int port, SslProtocols protocols) => await HandshakeAsync(port, protocols, _ => { });

    private static async Task<SslProtocols> HandshakeAsync(int port, SslProtocols protocols, Action<X509Certificate> seen)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await using var ssl = new SslStream(tcp.GetStream(), false, (_, cert, _, _) => { seen(cert!); return true; });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocols }, timeout.Token);
        return ssl.SslProtocol;
    }
}
