using Appliance.Media;
using Appliance.MediaMtx;
using Appliance.MediaMtx.Streams;
using Appliance.Tests.MediaMtx;

namespace Appliance.Tests.MediaAccess;

/// <summary>The publish credential changes at every start, and with it each path's runOnDemand
/// command: paths MediaMTX kept from the previous boot must be brought up to date, or their
/// publishers would be refused by the hook.</summary>
[NonParallelizable]
public class PublisherCredentialTests
{
    [Test]
    public async Task APathWhosePublisherCarriesAnotherBootsCredentialIsPatched()
    {
        await using var f = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => f.StandIn.GetPathConf("virtual0") is not null, "path exists");
        var host = f.Host.Host;
        var camera = host.Cameras.Find("virtual0")!;
        var current = host.MediaMtx.Credentials.Publish;
        Assert.That(f.StandIn.GetPathConf("virtual0")!["runOnDemand"]!.GetValue<string>(), Does.Contain($"rtsp://{current.User}:{current.Password}@127.0.0.1:"));

        // As MediaMTX still holds it after the service restarted: the previous boot's command.
        var stale = host.Reconciler.Desired(camera);
        stale.RunOnDemand = PublisherCommand.CommandLine(camera, host.Config.Current,
            InternalRtspUrl.For(host.Config.Current, camera.StreamPath, new MediaCredential(current.User, "previous-boot")));
        await host.MediaMtx.PatchPathConfigAsync("virtual0", stale, CancellationToken.None);
        Assert.That(f.StandIn.GetPathConf("virtual0")!["runOnDemand"]!.GetValue<string>(), Does.Contain("previous-boot"));

        var result = await host.Reconciler.ReconcileAsync(CancellationToken.None);

        Assert.That(result.Patched, Is.EqualTo(new[] { "virtual0" }));
        var command = f.StandIn.GetPathConf("virtual0")!["runOnDemand"]!.GetValue<string>();
        Assert.That(command, Does.Not.Contain("previous-boot"));
        Assert.That(command, Does.Contain($"rtsp://{current.User}:{current.Password}@127.0.0.1:"));
    }

    [Test]
    public async Task TwoStartsMakeTwoDifferentPublisherCommands()
    {
        await using var a = await MediaMtxFixture.StartAsync();
        await using var b = await MediaMtxFixture.StartAsync();
        await MediaMtxFixture.Eventually(() => a.StandIn.GetPathConf("virtual0") is not null && b.StandIn.GetPathConf("virtual0") is not null, "paths exist");
        Assert.That(a.Host.Host.MediaMtx.Credentials.Publish.Password, Is.Not.EqualTo(b.Host.Host.MediaMtx.Credentials.Publish.Password));
        Assert.That(a.StandIn.GetPathConf("virtual0")!["runOnDemand"]!.GetValue<string>(),
            Does.Contain(a.Host.Host.MediaMtx.Credentials.Publish.Password).And.Not.Contain(b.Host.Host.MediaMtx.Credentials.Publish.Password));
    }
}
