using Appliance.Update;
using Appliance.Gpio;
using Appliance.Health;

namespace Appliance.Tests.Gpio;

/// <summary>One pattern per state, the most urgent one winning.</summary>
public class StatusDeciderTests
{
    private static readonly StatusInputs Healthy = new(true, false, ComponentState.Running, 1, [], null, UpdateIndicator.None);

    private static StatusPattern Decide(StatusInputs s) => StatusDecider.Decide(s).Pattern;

    [Test]
    public void EachStateHasItsPattern()
    {
        Assert.That(Decide(Healthy), Is.EqualTo(StatusPattern.Healthy));
        Assert.That(Decide(Healthy with { Serving = false }), Is.EqualTo(StatusPattern.Starting));
        Assert.That(Decide(Healthy with { MediaMtx = null }), Is.EqualTo(StatusPattern.Starting));
        Assert.That(Decide(Healthy with { MediaMtx = ComponentState.Starting }), Is.EqualTo(StatusPattern.Starting));
        Assert.That(Decide(Healthy with { MediaMtx = ComponentState.Degraded }), Is.EqualTo(StatusPattern.Degraded));
        Assert.That(Decide(Healthy with { ConnectedCameras = 0 }), Is.EqualTo(StatusPattern.Degraded));
        Assert.That(Decide(Healthy with { Failed = ["storage"] }), Is.EqualTo(StatusPattern.Error));
        Assert.That(Decide(Healthy with { ConfigRejected = "server.port = 0" }), Is.EqualTo(StatusPattern.Error));
        Assert.That(Decide(Healthy with { Update = UpdateIndicator.Pending }), Is.EqualTo(StatusPattern.UpdatePending));
        Assert.That(Decide(Healthy with { Update = UpdateIndicator.Confirmed }), Is.EqualTo(StatusPattern.UpdateConfirmed));
        Assert.That(Decide(Healthy with { Serving = false, Stopping = true }), Is.EqualTo(StatusPattern.Off));
    }

    [Test]
    public void TheWorstTrueThingWins()
    {
        var everythingWrong = new StatusInputs(false, false, ComponentState.Degraded, 0, ["storage"], "bad", UpdateIndicator.Pending);
        Assert.That(StatusDecider.Decide(everythingWrong), Is.EqualTo((StatusPattern.Error, "failed: storage")));
        Assert.That(Decide(everythingWrong with { Stopping = true }), Is.EqualTo(StatusPattern.Off), "shutting down: dark, whatever else is true");
        Assert.That(Decide(everythingWrong with { Failed = [], ConfigRejected = null }), Is.EqualTo(StatusPattern.UpdatePending));
        Assert.That(Decide(everythingWrong with { Failed = [], ConfigRejected = null, Update = UpdateIndicator.None }), Is.EqualTo(StatusPattern.Starting));
        Assert.That(Decide(Healthy with { ConnectedCameras = 0, Update = UpdateIndicator.Confirmed }), Is.EqualTo(StatusPattern.Degraded));
        Assert.That(StatusDecider.Decide(Healthy with { MediaMtx = ComponentState.Degraded, ConnectedCameras = 0 }).Reason, Does.Contain("MediaMTX"));
    }
}
