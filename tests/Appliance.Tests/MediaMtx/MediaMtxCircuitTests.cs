using System.Net;
using System.Text;
using Appliance.Configuration;
using Appliance.Events;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Circuit;
using Microsoft.Extensions.Logging.Abstractions;
using Polly.CircuitBreaker;

namespace Appliance.Tests.MediaMtx;

/// <summary>
/// The client's consecutive-failures circuit (a Polly strategy) against a scripted transport: it
/// opens after health_failure_threshold outages in a row, refuses calls without sending them while
/// open, lets calls through again after health_circuit_breaker_timeout, and publishes every change
/// on the event hub.
/// </summary>
public class MediaMtxCircuitTests
{
    private sealed class ScriptedHandler : HttpMessageHandler
    {
        public volatile bool Down = true;
        public volatile bool Hang;
        public int Requests;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Requests);
            if (Hang) await Task.Delay(Timeout.Infinite, cancellationToken);
            if (Down) throw new HttpRequestException("connection refused");
            if (request.RequestUri!.AbsolutePath.EndsWith("/missing", StringComparison.Ordinal))
                return new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("""{"error":"path not found"}""") };
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"camera0"}""")) };
        }
    }

    private sealed class Rig : IDisposable
    {
        public readonly EventHub Events = new();
        public readonly ScriptedHandler Handler = new();
        public readonly MediaMtxClient Client;
        private readonly List<MediaMtxCircuitChanged> _changes = [];
        private readonly IDisposable _subscription;

        public Rig(double requestTimeout = 5)
        {
            var config = new ApplianceConfig();
            config.Mediamtx.HealthFailureThreshold = 3;
            config.Mediamtx.HealthCircuitBreakerTimeout = 0.5;
            config.Mediamtx.RequestTimeout = requestTimeout;
            Client = new MediaMtxClient(new ConfigStore(config, null, NullLogger.Instance), Handler, Events);
            _subscription = Events.On<MediaMtxCircuitChanged>("test", e => { lock (_changes) _changes.Add(e); });
        }

        public async Task<List<(CircuitState, string)>> ChangesAsync()
        {
            await Events.FlushAsync();
            lock (_changes) return [.. _changes.Select(c => (c.State, c.Reason))];
        }

        public async Task<MediaMtxException> FailingCallAsync(string path = "camera0") =>
            (await CatchAsync(() => Client.GetPathAsync(path, CancellationToken.None)))!;

        public void Dispose()
        {
            _subscription.Dispose();
            Client.Dispose();
            Events.Dispose();
        }
    }

    private static async Task<MediaMtxException?> CatchAsync(Func<Task> call)
    {
        try { await call(); return null; }
        catch (MediaMtxException e) { return e; }
    }

    [Test]
    public async Task ConsecutiveOutagesOpenTheCircuitWhichFailsFastThenProbesAndCloses()
    {
        using var rig = new Rig();
        for (var i = 0; i < 2; i++) Assert.That((await rig.FailingCallAsync()).Kind, Is.EqualTo(MediaMtxErrorKind.Unavailable));
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Closed), "two failures are below the threshold");
        var third = await rig.FailingCallAsync();
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Open));

        var refused = await rig.FailingCallAsync();
        Assert.That(refused.Kind, Is.EqualTo(MediaMtxErrorKind.Unavailable));
        Assert.That(refused.Message, Does.StartWith("MediaMTX unavailable: circuit open after repeated failures, next try in "));
        Assert.That(rig.Handler.Requests, Is.EqualTo(3), "an open circuit does not send the call");
        Assert.That(await rig.ChangesAsync(), Is.EqualTo(new[] { (CircuitState.Open, $"3 failures in a row, last: {third.Message}") }));

        await Task.Delay(600);
        rig.Handler.Down = false;
        Assert.That(await rig.Client.GetPathAsync("camera0", CancellationToken.None), Is.Not.Null);
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Closed));
        Assert.That((await rig.ChangesAsync()).Skip(1), Is.EqualTo(new[] { (CircuitState.HalfOpen, "probing"), (CircuitState.Closed, "recovered") }));
    }

    [Test]
    public async Task AFailedProbeOpensTheCircuitAgainAtOnce()
    {
        using var rig = new Rig();
        for (var i = 0; i < 3; i++) await rig.FailingCallAsync();
        await Task.Delay(600);
        var probe = await rig.FailingCallAsync();
        Assert.That(rig.Handler.Requests, Is.EqualTo(4), "the probe was sent");
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Open));
        Assert.That(await rig.ChangesAsync(), Is.EqualTo(new[]
        {
            (CircuitState.Open, $"3 failures in a row, last: {probe.Message}"),
            (CircuitState.HalfOpen, "probing"),
            (CircuitState.Open, $"4 failures in a row, last: {probe.Message}"),
        }));
    }

    [Test]
    public async Task AnAnswerResetsTheCountAndACallerGivingUpNeitherCountsNorResets()
    {
        using var rig = new Rig();
        for (var i = 0; i < 2; i++) await rig.FailingCallAsync();
        rig.Handler.Down = false;
        Assert.That(await rig.Client.GetPathAsync("missing", CancellationToken.None), Is.Null, "404: MediaMTX answered");
        rig.Handler.Down = true;
        for (var i = 0; i < 2; i++) await rig.FailingCallAsync();
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Closed), "the count started again after the answer");

        rig.Handler.Hang = true;
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            Assert.That(async () => await rig.Client.GetPathAsync("camera0", giveUp.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Closed), "a caller giving up is not a failure");
        rig.Handler.Hang = false;
        await rig.FailingCallAsync();
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Open), "nor does it reset the count: 3 failures in a row");
        Assert.That(await rig.ChangesAsync(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ARequestTimeoutIsAnOutageAndSaysSo()
    {
        using var rig = new Rig(requestTimeout: 0.2);
        rig.Handler.Hang = true;
        for (var i = 0; i < 3; i++)
        {
            var timedOut = await rig.FailingCallAsync();
            Assert.That(timedOut.Kind, Is.EqualTo(MediaMtxErrorKind.Unavailable));
            Assert.That(timedOut.Message, Is.EqualTo("MediaMTX did not answer GET /v3/paths/get/camera0 within 0.2 s"));
        }
        Assert.That(rig.Client.Circuit, Is.EqualTo(CircuitState.Open));
    }
}
