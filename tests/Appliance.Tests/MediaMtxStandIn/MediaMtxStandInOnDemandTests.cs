using System.Globalization;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx;
using Appliance.Tests.Support;

namespace Appliance.Tests.StandIn;

/// <summary>runOnDemand commands run as real processes with MediaMTX's life cycle.</summary>
public class MediaMtxStandInOnDemandTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(8);

    private TestDirectory _dir = null!;
    private MediaMtxStandIn _standIn = null!;
    private StandInClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _dir = new TestDirectory();
        _standIn = await MediaMtxStandIn.StartAsync(new StandInOptions
        {
            ApiPort = 0,
            RtspPort = 0,
            CommandRestartPause = TimeSpan.FromMilliseconds(100),
            CommandStopGrace = TimeSpan.FromMilliseconds(500),
        });
        _client = new StandInClient(_standIn);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _standIn.DisposeAsync();
        _dir.Dispose();
    }

    [Test]
    public async Task CommandRunsWithoutAShellWithPathAndPortInItsEnvironment()
    {
        // The script records what it was given; its arguments carry quoting and shell syntax
        // that only a shell would interpret.
        var script = Script("record-env.sh", """
            #!/bin/sh
            out="$1"; shift
            { echo "MTX_PATH=$MTX_PATH"; echo "RTSP_PORT=$RTSP_PORT"; for a in "$@"; do echo "arg=$a"; done; } > "$out.tmp"
            mv "$out.tmp" "$out"
            exec sleep 30
            """);
        var output = _dir.File("env.txt");
        await AddPathAsync("camera0", new JsonObject
        {
            ["runOnDemand"] = $"{script} {output} 'two words' \"say \\\"hi\\\"\" a|b;c rtsp://localhost:$RTSP_PORT/${{MTX_PATH}}",
        });

        await _standIn.DemandAsync("camera0");

        await Eventually.HoldsAsync(() => File.Exists(output), exists => exists, Bound, "the command wrote its environment");
        Assert.That(File.ReadAllLines(output), Is.EqualTo(new[]
        {
            "MTX_PATH=camera0",
            $"RTSP_PORT={_standIn.RtspPort}",
            "arg=two words",
            "arg=say \"hi\"",
            "arg=a|b;c",
            $"arg=rtsp://localhost:{_standIn.RtspPort}/camera0",
        }));
        var status = _standIn.GetOnDemandStatus("camera0");
        Assert.That(status.Phase, Is.EqualTo(OnDemandPhase.WaitingReady));
        Assert.That(status.ProcessId, Is.Not.Null);
        Assert.That(ProcessGroupOf(status.ProcessId!.Value), Is.EqualTo(status.ProcessId), "the command leads its own process group");
    }

    [Test]
    public async Task CommandIsStoppedWhenNoPublisherComesWithinTheStartTimeout()
    {
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = "sleep 30", ["runOnDemandStartTimeout"] = "500ms" });

        await _standIn.DemandAsync("camera0");
        var pid = _standIn.GetOnDemandStatus("camera0").ProcessId!.Value;

        await Eventually.HoldsAsync(() => _standIn.GetOnDemandStatus("camera0").Phase, p => p == OnDemandPhase.Initial, Bound, "back to idle after the start timeout");
        await Eventually.HoldsAsync(() => IsAlive(pid), alive => !alive, Bound, "sleep was stopped");
    }

    [Test]
    public async Task PublishedPathStaysUpWhileReadOnlyAndStopsAfterCloseAfter()
    {
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = "sleep 30", ["runOnDemandCloseAfter"] = "500ms" });
        await _standIn.DemandAsync("camera0");
        var pid = _standIn.GetOnDemandStatus("camera0").ProcessId!.Value;

        _standIn.SimulatePublisher("camera0");
        Assert.That(_standIn.GetOnDemandStatus("camera0").Phase, Is.EqualTo(OnDemandPhase.Closing), "published, nobody reading yet");
        var reader = _standIn.SimulateReader("camera0");
        Assert.That(_standIn.GetOnDemandStatus("camera0").Phase, Is.EqualTo(OnDemandPhase.Ready));
        await Task.Delay(1000); // twice runOnDemandCloseAfter
        Assert.That(IsAlive(pid), Is.True, "a read path keeps its command");
        Assert.That((await _client.GetAsync("/v3/paths/get/camera0")).Json["readers"]!.AsArray(), Has.Count.EqualTo(1));

        _standIn.SimulateReaderGone("camera0", reader);

        Assert.That(_standIn.GetOnDemandStatus("camera0").Phase, Is.EqualTo(OnDemandPhase.Closing));
        await Eventually.HoldsAsync(() => IsAlive(pid), alive => !alive, Bound, "the command stops after runOnDemandCloseAfter");
        Assert.That(_standIn.GetOnDemandStatus("camera0").Phase, Is.EqualTo(OnDemandPhase.Initial));
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task ExitedCommandIsRestartedOnlyWithRunOnDemandRestart(bool restart)
    {
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = "true", ["runOnDemandRestart"] = restart });

        await _standIn.DemandAsync("camera0");
        await Task.Delay(800); // eight restart pauses

        var launches = _standIn.GetOnDemandStatus("camera0").Launches;
        if (restart) Assert.That(launches, Is.GreaterThanOrEqualTo(3));
        else Assert.That(launches, Is.EqualTo(1));
    }

    [Test]
    public async Task StopKillsTheWholeGroupEvenChildrenThatIgnoreSigint()
    {
        var script = Script("stubborn.sh", """
            #!/bin/sh
            trap '' INT
            sleep 60 &
            echo $! > "$1.tmp"; mv "$1.tmp" "$1"
            wait
            """);
        var childFile = _dir.File("child.pid");
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = $"{script} {childFile}" });
        await _standIn.DemandAsync("camera0");
        var leader = _standIn.GetOnDemandStatus("camera0").ProcessId!.Value;
        await Eventually.HoldsAsync(() => File.Exists(childFile), exists => exists, Bound, "the child was started");
        var child = int.Parse(File.ReadAllText(childFile).Trim(), CultureInfo.InvariantCulture);

        await _standIn.StopAsync();

        Assert.That(IsAlive(leader), Is.False, "the command");
        await Eventually.HoldsAsync(() => IsAlive(child), alive => !alive, Bound, "its child, which ignored SIGINT, was killed");
    }

    [Test]
    public async Task ChangingRunOnDemandStopsTheCommandButChangingRecordDoesNot()
    {
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = "sleep 30" });
        await _standIn.DemandAsync("camera0");
        var pid = _standIn.GetOnDemandStatus("camera0").ProcessId!.Value;

        await _client.PatchAsync("/v3/config/paths/patch/camera0", """{"record":true}""");
        Assert.That(_standIn.GetOnDemandStatus("camera0").ProcessId, Is.EqualTo(pid), "record is updated in place");

        await _client.PatchAsync("/v3/config/paths/patch/camera0", """{"runOnDemand":"sleep 31"}""");

        Assert.That(_standIn.GetOnDemandStatus("camera0").Phase, Is.EqualTo(OnDemandPhase.Initial));
        await Eventually.HoldsAsync(() => IsAlive(pid), alive => !alive, Bound, "the old command was stopped");
    }

    [Test]
    public async Task DeletingThePathStopsItsCommand()
    {
        await AddPathAsync("camera0", new JsonObject { ["runOnDemand"] = "sleep 30" });
        await _standIn.DemandAsync("camera0");
        var pid = _standIn.GetOnDemandStatus("camera0").ProcessId!.Value;

        await _client.DeleteAsync("/v3/config/paths/delete/camera0");

        await Eventually.HoldsAsync(() => IsAlive(pid), alive => !alive, Bound, "the command was stopped");
    }

    [Test]
    public async Task DemandNeedsAConfiguredPathWithRunOnDemand()
    {
        await AddPathAsync("plain", new JsonObject());

        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => _standIn.DemandAsync("nowhere"));
        var plain = await Assert.ThrowsAsync<InvalidOperationException>(() => _standIn.DemandAsync("plain"));

        Assert.That(unknown!.Message, Is.EqualTo("path 'nowhere' is not configured"));
        Assert.That(plain!.Message, Is.EqualTo("path 'plain' has no runOnDemand"));
    }

    private async Task AddPathAsync(string name, JsonObject conf)
    {
        var reply = await _client.PostAsync($"/v3/config/paths/add/{name}", conf.ToJsonString());
        Assert.That(reply.Status, Is.EqualTo(200), reply.Body);
    }

    private string Script(string name, string text)
    {
        var path = _dir.Write(name, text.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    // Alive and not a zombie (a reparented zombie may wait for a PID 1 that never reaps).
    private static bool IsAlive(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1][0] != 'Z'; }
        catch (IOException) { return false; }
    }

    private static int ProcessGroupOf(int pid) =>
        int.Parse(File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ')[2], CultureInfo.InvariantCulture);
}
