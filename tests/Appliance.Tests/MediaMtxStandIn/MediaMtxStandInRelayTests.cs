using System.Diagnostics;
using System.Text.Json.Nodes;
using Appliance.Testing.MediaMtx;
using Appliance.Testing.MediaMtx.Contract;
using Appliance.Testing.MediaMtx.Exchanges;

namespace Appliance.Tests.StandIn;

/// <summary>
/// End to end through the GStreamer relay: a real FFmpeg reader's DESCRIBE starts the path's
/// runOnDemand (a real FFmpeg publisher), the API shows the path ready and read, and after
/// runOnDemandCloseAfter without readers the publisher is stopped and the path goes idle.
/// </summary>
public class MediaMtxStandInRelayTests
{
    private const string Publisher =
        "ffmpeg -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=320x240:rate=15 " +
        "-c:v libx264 -preset ultrafast -tune zerolatency -g 15 -f rtsp rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public async Task ReaderStartsTheOnDemandPublisherAndTheCommandStopsAfterCloseAfter()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, UseRelay = true });
        using var client = new StandInClient(standIn);
        var added = await client.PostAsync("/v3/config/paths/add/camera0", new JsonObject
        {
            ["runOnDemand"] = Publisher,
            ["runOnDemandStartTimeout"] = "15s",
            ["runOnDemandCloseAfter"] = "1s",
        }.ToJsonString());
        Assert.That(added.Status, Is.EqualTo(200), added.Body);
        var idle = (await client.GetAsync("/v3/paths/get/camera0")).Json;
        Assert.That((bool?)idle["ready"], Is.False, "configured, listed, not ready before anyone asks");

        // About 2 s of reading (30 frames at 15 fps): long enough to see the reader in the API.
        using var reader = StartFfmpeg("-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp",
            "-i", standIn.RtspUrl("camera0"), "-frames:v", "30", "-f", "null", "-");
        var whileRead = await Eventually.HoldsAsync(
            async () => (await client.GetAsync("/v3/paths/get/camera0")).Json,
            path => (bool?)path["ready"] == true && path["readers"]!.AsArray().Count == 1 && (long?)path["bytesReceived"] > 0,
            Bound, "the path is ready, read by one reader, and receiving");
        await reader.WaitForExitAsync().WaitAsync(Bound);
        var whileIdle = await Eventually.HoldsAsync(
            async () => (await client.GetAsync("/v3/paths/get/camera0")).Json,
            path => (bool?)path["ready"] == false,
            Bound, "the publisher is stopped after runOnDemandCloseAfter");

        Assert.That(reader.ExitCode, Is.EqualTo(0), "the reader got its frames: " + reader.StandardError.ReadToEnd());
        Assert.That((string?)whileRead["source"]!["type"], Is.EqualTo("rtspSession"));
        Assert.That((string?)whileRead["readers"]![0]!["type"], Is.EqualTo("rtspSession"));
        Assert.That(whileRead["tracks"]!.AsArray().Select(t => (string?)t), Is.EqualTo(new[] { "H264" }));
        Assert.That(whileIdle["readers"]!.AsArray(), Is.Empty);
        var status = standIn.GetOnDemandStatus("camera0");
        Assert.That(status.Phase, Is.EqualTo(OnDemandPhase.Initial));
        Assert.That(status.ProcessId, Is.Null, "the command was stopped");
        var violations = standIn.Exchanges.Entries.SelectMany(e => OpenApiContractCheck(e)).ToList();
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public async Task TrackPropertiesComeFromTheStream()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions
        {
            ApiPort = 0,
            RtspPort = 0,
            UseRelay = true,
            InitialPaths = new Dictionary<string, string> { ["camera0"] = "{}" },
        });
        using var client = new StandInClient(standIn);

        using var publisher = StartFfmpeg(Publisher.Replace("$RTSP_PORT", standIn.RtspPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Replace("$MTX_PATH", "camera0").Split(' ')[1..]);
        try
        {
            var live = await Eventually.HoldsAsync(
                async () => (await client.GetAsync("/v3/paths/get/camera0")).Json,
                path => path["tracks2"]!.AsArray().FirstOrDefault()?["codecProps"] is JsonObject,
                Bound, "the H264 track's properties are known");
            var props = live["tracks2"]![0]!["codecProps"]!;
            Assert.That((int?)props["width"], Is.EqualTo(320));
            Assert.That((int?)props["height"], Is.EqualTo(240));
            Assert.That((string?)props["profile"], Is.Not.Empty);
        }
        finally
        {
            publisher.Kill();
        }
    }

    [Test]
    public async Task ReaderOfAPathThatIsNotConfiguredIsRefused()
    {
        await using var standIn = await MediaMtxStandIn.StartAsync(new StandInOptions { ApiPort = 0, RtspPort = 0, UseRelay = true });

        using var reader = StartFfmpeg("-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp",
            "-i", standIn.RtspUrl("nowhere"), "-frames:v", "1", "-f", "null", "-");
        await reader.WaitForExitAsync().WaitAsync(Bound);

        Assert.That(reader.ExitCode, Is.Not.EqualTo(0));
        Assert.That(reader.StandardError.ReadToEnd(), Does.Contain("404"));
    }

    private static IEnumerable<string> OpenApiContractCheck(ApiExchange exchange) =>
        OpenApiContract.Default.CheckExchange(exchange).Select(v => $"{exchange.Method} {exchange.PathAndQuery}: {v}");

    private static Process StartFfmpeg(params string[] arguments)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }
}
