using System.Diagnostics;
using Appliance.LoadClient;
using Appliance.LoadClient.Scenarios;
using Appliance.LoadClient.Scenarios.Floor;

// Load/benchmark client for the appliance service: starts the published binary with a temp
// config on 127.0.0.1, runs the chosen scenarios, prints a Markdown report on stdout.
var options = Options.Parse(args, out var problem);
if (options is null)
{
    if (problem is { Length: > 0 }) Console.Error.WriteLine("loadclient: " + problem);
    Console.Error.WriteLine(Options.Usage);
    return problem is { Length: > 0 } ? 2 : 0;
}

IScenario[] all = [new StartupScenario(), new PingScenario(), new IdleScenario(), new MediaScenario(), new EventsScenario(), new HostileScenario(), new FaultsScenario(), new ScaleScenario(), new FloorScenario()];
var scenarios = all.Where(s => options.Scenarios.Contains(s.Name)).ToArray();

// Everything is bounded: a hard ceiling on the whole run, and Ctrl+C cancels (services are killed in finally blocks).
using var cancel = new CancellationTokenSource(scenarios.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Budget(options)));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

// Run a private copy: a rebuild of artifacts/ during the run then neither changes what is
// measured nor fails on a busy executable.
var original = options.Binary;
var originalFloor = options.Floor;
var copyDirectory = Directory.CreateTempSubdirectory("appliance-bench-bin-").FullName;
try
{
    var copy = Path.Combine(copyDirectory, Path.GetFileName(original));
    File.Copy(original, copy);
    File.SetUnixFileMode(copy, File.GetUnixFileMode(original) | UnixFileMode.UserExecute);
    options = options with { Binary = copy };
    if (options.Floor is { } floorOriginal)
    {
        var floorCopy = Path.Combine(copyDirectory, Path.GetFileName(floorOriginal));
        if (floorCopy == copy) floorCopy += "-floor";
        File.Copy(floorOriginal, floorCopy);
        File.SetUnixFileMode(floorCopy, File.GetUnixFileMode(floorOriginal) | UnixFileMode.UserExecute);
        options = options with { Floor = floorCopy };
    }

    var report = new Report();
    string machine;
    try
    {
        // Also the first check that the binary accepts the benchmark config and mints a token.
        using var probe = await ServiceConfig.CreateAsync(options.Binary, cancel.Token);
        machine = await Report.DescribeMachineAsync(probe, cancel.Token);
    }
    catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or OperationCanceledException)
    {
        Console.Error.WriteLine($"loadclient: cannot set up the service: {ex.Message}");
        return 1;
    }

    var total = Stopwatch.StartNew();
    foreach (var scenario in scenarios)
    {
        Console.Error.WriteLine($"scenario {scenario.Name}...");
        var started = Stopwatch.GetTimestamp();
        try
        {
            await scenario.RunAsync(options, report, cancel.Token);
            Console.Error.WriteLine($"scenario {scenario.Name} done in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
        }
        catch (Exception ex)
        {
            report.Fail(scenario.Name, $"{ex.GetType().Name}: {ex.Message}");
            Console.Error.WriteLine($"scenario {scenario.Name} FAILED: {ex}");
            if (cancel.IsCancellationRequested) break;
        }
    }

    var settings = $"""
    - Scenarios: {string.Join(", ", options.Scenarios)}; measured window {options.DurationSeconds} s (ping runs after a 2 s warm-up; idle hold)
    - Binary: `{original}` (run from a private copy)
    - Service config: development environment, 127.0.0.1, max_connections >= 2000, rate limit 100000000/min with burst 1000000 (not limiting), logging warning, camera discovery off
    - Idle scenario: {options.Connections} connections
    - Media scenario: MediaMTX stand-in in-process (API + GStreamer RTSP relay), 4 virtual cameras 1280x720@30 testsrc2, ffmpeg.max_concurrent 8, logging info (parsed for the service-side snapshot times); {options.RecordSeconds} s with all 4 recording
    - Hostile scenario: server defaults (max_batch 32, 16 KiB before authentication, auth_timeout 10 s); {HostileScenario.AttackRounds} rounds of {HostileScenario.AttackConnections} unauthenticated 1 MiB frames; {HostileScenario.Pipelined} pipelined pings
    - Events scenario: 1, 50 and 500 connections subscribed to button.pressed; {EventsScenario.Presses} press_button calls {EventsScenario.Spacing.TotalMilliseconds:0} ms apart per tier (after {EventsScenario.WarmUpPresses} warm-up presses), first without and then with the subscriptions
    - Faults scenario: {options.FaultSamples} sample(s) per fault; the same stand-in and virtual cameras as media; each recording runs 3–3.5 s before its fault; the service as in media but at logging warning, [ffmpeg] stall_timeout 10 s (3 s for one fault), restart_on_failure only for the media-server fault, a 16 MiB tmpfs and storage.min_free_mb 4 for the disk-full fault (root only); power cut and crash restart the service on the same files; then one 60 s recording with fsync_interval 5 under strace
    - Scale scenario: the same stand-in; {options.Cameras} virtual cameras 320x240@15 testsrc2 at the service's default limits, logging info; all publishing, then all recording {options.ScaleRecordSeconds} s at once, take_snapshot every 2 s per camera with a bare FFmpeg read between, {ScaleScenario.Pollers} pollers (get_camera_list, get_status, ping every {Appliance.LoadClient.Scenarios.Scale.StatusPoller.Period.TotalMilliseconds:0} ms), {ScaleScenario.Subscribers} connections subscribed to every topic
    - Floor scenario: floor `{originalFloor ?? "(none: --floor not given)"}` (tests/Appliance.Floor, bare Kestrel WebSocket, run from a private copy); {options.Rounds} round(s), floor and service one after the other, alternating which goes first; each figure group on a freshly started server; idle CPU over {options.FloorIdleSeconds} s; {options.Connections} idle authenticated connections ({FloorMeasurements.OpenConcurrency} at a time); 1 client × {FloorMeasurements.SequentialPings} pings after {FloorMeasurements.WarmUpPings} warm-up; {FloorMeasurements.ConcurrentClients} clients × {FloorMeasurements.PingsPerClient} pings; pinning in the figures
    - Client and service run on the same machine and share its cores; each client has one request outstanding
    - Total run time: {total.Elapsed.TotalSeconds:0} s
    """;
    Console.WriteLine(report.Render(machine, settings));
    return report.Failed ? 1 : 0;
}
finally
{
    try { Directory.Delete(copyDirectory, recursive: true); } catch (IOException) { }
}
