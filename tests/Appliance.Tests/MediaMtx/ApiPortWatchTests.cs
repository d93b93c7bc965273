using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Appliance.MediaMtx.Streams;

namespace Appliance.Tests.MediaMtx;

/// <summary>The connect probe that cuts a backoff short when MediaMTX's API port accepts again.</summary>
public class ApiPortWatchTests
{
    [Test]
    public async Task APortThatListensAcceptsAndAClosedOneDoesNot()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.That(await ApiPortWatch.AcceptsAsync("127.0.0.1", port, CancellationToken.None), Is.True);
        listener.Stop();
        Assert.That(await ApiPortWatch.AcceptsAsync("127.0.0.1", port, CancellationToken.None), Is.False);
    }

    [Test]
    public async Task ARefusedConnectionIsRecognisedThroughWrappers()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var http = new HttpClient();
        var failure = await Assert.CatchAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/v3/info"));
        Assert.That(failure, Is.Not.Null);
        Assert.That(ApiPortWatch.IsRefused(new InvalidOperationException("wrapped", failure)), Is.True);
        Assert.That(ApiPortWatch.IsRefused(new TimeoutException("no answer")), Is.False);
        Assert.That(ApiPortWatch.IsRefused(null), Is.False);
    }

    [Test]
    public async Task TheWaitEndsWhenThePortAcceptsNotBefore()
    {
        var probes = 0;
        var wait = Stopwatch.StartNew();
        using var wake = new SemaphoreSlim(0, 1);
        var early = await ApiPortWatch.WaitAsync(TimeSpan.FromSeconds(30), () => Task.FromResult(++probes >= 3), wake, CancellationToken.None);
        Assert.That(early, Is.True);
        Assert.That(probes, Is.EqualTo(3));
        Assert.That(wait.Elapsed, Is.GreaterThanOrEqualTo(ApiPortWatch.ProbeInterval * 2.9).And.LessThan(TimeSpan.FromSeconds(20)),
            "one probe per interval: the third one, about three intervals in");
    }

    [Test]
    public async Task WithoutAnAcceptTheWholeBackoffIsWaitedAndAWakeEndsIt()
    {
        using var wake = new SemaphoreSlim(0, 1);
        var wait = Stopwatch.StartNew();
        Assert.That(await ApiPortWatch.WaitAsync(TimeSpan.FromMilliseconds(1500), () => Task.FromResult(false), wake, CancellationToken.None), Is.False);
        Assert.That(wait.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(1450)));

        wake.Release();
        wait.Restart();
        Assert.That(await ApiPortWatch.WaitAsync(TimeSpan.FromSeconds(30), () => Task.FromResult(false), wake, CancellationToken.None), Is.True);
        Assert.That(wait.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }
}
