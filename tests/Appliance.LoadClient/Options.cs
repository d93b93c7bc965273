using System.Globalization;

namespace Appliance.LoadClient;

/// <summary>The load client's command line: --binary PATH [--scenarios all|startup,ping,idle,media,events,hostile,faults,scale,floor] [--duration-seconds N].</summary>
/// <param name="RecordSecondsGiven">Whether --record-seconds was on the command line (scale's default differs from media's).</param>
/// <param name="Floor">The floor binary (tests/Appliance.Floor, published) for the floor scenario; null when not given.</param>
/// <param name="Rounds">floor: rounds of floor and service, one after the other, alternating which goes first.</param>
/// <param name="DurationSecondsGiven">Whether --duration-seconds was on the command line (floor's idle window defaults to 30 s).</param>
public sealed record Options(string Binary, IReadOnlyList<string> Scenarios, int DurationSeconds, int Connections, int RecordSeconds = 20, int FaultSamples = 3,
    int Cameras = 16, bool RecordSecondsGiven = false, string? Floor = null, int Rounds = 3, bool DurationSecondsGiven = false)
{
    public static readonly string[] AllScenarios = ["startup", "ping", "idle", "media", "events", "hostile", "faults", "scale", "floor"];

    /// <summary>How long the floor scenario watches each idle server's CPU: --duration-seconds when given, else 30 s.</summary>
    public int FloorIdleSeconds => DurationSecondsGiven ? DurationSeconds : 30;

    /// <summary>How long the scale scenario records: --record-seconds when given, else 60 s (the issue's figure).</summary>
    public int ScaleRecordSeconds => RecordSecondsGiven ? RecordSeconds : 60;

    public const string Usage = """
        usage: dotnet run -c Release --project tests/Appliance.LoadClient -- --binary PATH
                   [--scenarios all|startup,ping,idle,media,events,hostile,faults,scale,floor] [--duration-seconds N] [--connections N]
                   [--record-seconds N] [--fault-samples N] [--cameras N] [--floor PATH] [--rounds N]
          --binary PATH         the service binary to start (e.g. artifacts/publish/linux-x64/appliance)
          --scenarios LIST      comma-separated: startup, ping, idle, media, events, hostile, faults, scale, floor
                                (default: all; all includes floor only when --floor is given)
          --duration-seconds N  measuring time of the ping runs and idle hold, 1..600 (default: 10);
                                floor: the idle CPU window (default there: 30)
          --connections N       idle connections to hold in the idle scenario, and to open in floor's
                                memory-per-connection figure, 1..10000 (default: 1000)
          --record-seconds N    media: how long the 4 cameras record at once, 5..600 (default: 20);
                                scale: how long every camera records (default: 60)
          --fault-samples N     faults: samples of each fault, 1..10 (default: 3)
          --cameras N           scale: virtual cameras (320x240@15), 1..64 (default: 16)
          --floor PATH          the floor binary for the floor scenario, required by it (publish it with
                                dotnet publish tests/Appliance.Floor -c Release -r linux-x64 -o artifacts/publish/floor-linux-x64)
          --rounds N            floor: rounds, each running floor and service one after the other, 1..20 (default: 3)
        The client writes a temporary config, starts the binary on a free 127.0.0.1 port, and kills
        it when done. The media scenario also runs the MediaMTX stand-in in-process (API + GStreamer
        RTSP relay on 127.0.0.1; needs ffmpeg, ffprobe, python3-gst-1.0), and so does the faults
        scenario (its disk-full case needs root for a tmpfs, its fsync count strace). The floor
        scenario starts the service and the floor under `taskset -c` (util-linux) on one core and
        pins the client to another (unpinned on a 1-core machine). The report (Markdown) goes to
        stdout, progress to stderr.
        """;

    public static Options? Parse(string[] args, out string? problem)
    {
        problem = null;
        string? binary = null;
        var scenarios = AllScenarios.ToList();
        var duration = 10;
        var connections = 1000;
        var recordSeconds = 20;
        var faultSamples = 3;
        var cameras = 16;
        var recordSecondsGiven = false;
        var durationGiven = false;
        var scenariosGiven = false; // named on the command line (all counts as not naming floor)
        string? floor = null;
        var rounds = 3;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (a)
            {
                case "--binary":
                    binary = value; i++;
                    break;
                case "--scenarios":
                    i++;
                    if (value is null) { problem = "--scenarios needs a value"; return null; }
                    if (value == "all") { scenarios = AllScenarios.ToList(); scenariosGiven = false; break; }
                    scenariosGiven = true;
                    scenarios = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct()];
                    var unknown = scenarios.FirstOrDefault(s => !AllScenarios.Contains(s));
                    if (unknown is not null) { problem = $"unknown scenario '{unknown}' (expected {string.Join(", ", AllScenarios)} or all)"; return null; }
                    if (scenarios.Count == 0) { problem = "--scenarios is empty"; return null; }
                    break;
                case "--duration-seconds":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out duration) || duration is < 1 or > 600)
                    { problem = "--duration-seconds needs a whole number from 1 to 600"; return null; }
                    durationGiven = true;
                    break;
                case "--connections":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out connections) || connections is < 1 or > 10_000)
                    { problem = "--connections needs a whole number from 1 to 10000"; return null; }
                    break;
                case "--record-seconds":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out recordSeconds) || recordSeconds is < 5 or > 600)
                    { problem = "--record-seconds needs a whole number from 5 to 600"; return null; }
                    recordSecondsGiven = true;
                    break;
                case "--cameras":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out cameras) || cameras is < 1 or > 64)
                    { problem = "--cameras needs a whole number from 1 to 64"; return null; }
                    break;
                case "--fault-samples":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out faultSamples) || faultSamples is < 1 or > 10)
                    { problem = "--fault-samples needs a whole number from 1 to 10"; return null; }
                    break;
                case "--floor":
                    floor = value; i++;
                    if (string.IsNullOrEmpty(floor)) { problem = "--floor needs a path"; return null; }
                    break;
                case "--rounds":
                    i++;
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out rounds) || rounds is < 1 or > 20)
                    { problem = "--rounds needs a whole number from 1 to 20"; return null; }
                    break;
                case "--help" or "-h":
                    problem = "";
                    return null;
                default:
                    problem = $"unknown argument '{a}'";
                    return null;
            }
        }
        if (string.IsNullOrEmpty(binary)) { problem = "--binary PATH is required"; return null; }
        var full = Path.GetFullPath(binary);
        if (!File.Exists(full)) { problem = $"binary {full} not found (publish it first: dotnet publish src/Appliance/Appliance.csproj -c Release -r linux-x64 -o artifacts/publish/linux-x64)"; return null; }
        string? floorFull = null;
        if (floor is not null)
        {
            floorFull = Path.GetFullPath(floor);
            if (!File.Exists(floorFull)) { problem = $"floor binary {floorFull} not found (publish it first: dotnet publish tests/Appliance.Floor -c Release -r linux-x64 -o artifacts/publish/floor-linux-x64)"; return null; }
        }
        if (floorFull is null && scenarios.Contains("floor"))
        {
            // all (or no --scenarios) quietly leaves floor out; naming it without its binary is a mistake.
            if (scenariosGiven) { problem = "the floor scenario needs --floor PATH (publish it: dotnet publish tests/Appliance.Floor -c Release -r linux-x64 -o artifacts/publish/floor-linux-x64)"; return null; }
            scenarios.Remove("floor");
        }
        // Keep the canonical order whatever order the user typed.
        return new Options(full, [.. AllScenarios.Where(scenarios.Contains)], duration, connections, recordSeconds, faultSamples, cameras, recordSecondsGiven,
            floorFull, rounds, durationGiven);
    }
}
