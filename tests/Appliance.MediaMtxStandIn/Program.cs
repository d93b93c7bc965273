using System.Globalization;
using Appliance.Testing.MediaMtx;

// Runs the stand-in as a program, for trying the service against it by hand:
//   mediamtx-standin [--version 1.20.1] [--api-port 9997] [--rtsp-port 8554] [--user U --pass P | --auth-http-address URL]
//                    [--relay [--hls-port 8888 | --no-hls]]
// With --relay it also serves HLS (as MediaMTX at :8888) unless --no-hls.
// Stops on Ctrl+C or SIGTERM (children are stopped too).
var options = new StandInOptions { ApiPort = 9997, Label = "development stand-in, not MediaMTX" };
int? hlsPort = 8888;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    options = args[i] switch
    {
        "--version" => options with { ApiVersion = Next() },
        "--api-port" => options with { ApiPort = int.Parse(Next(), CultureInfo.InvariantCulture) },
        "--rtsp-port" => options with { RtspPort = int.Parse(Next(), CultureInfo.InvariantCulture) },
        "--user" => options with { Username = Next() },
        "--pass" => options with { Password = Next() },
        "--relay" => options with { UseRelay = true },
        "--auth-http-address" => options with { AuthHttpAddress = Next() },
        "--hls-port" => options with { HlsPort = hlsPort = int.Parse(Next(), CultureInfo.InvariantCulture) },
        "--no-hls" => options with { HlsPort = hlsPort = null },
        var other => throw new ArgumentException($"unknown argument {other}"),
    };
}

if (options.UseRelay) options = options with { HlsPort = hlsPort };

await using var standIn = await MediaMtxStandIn.StartAsync(options);
Console.WriteLine($"MediaMTX {standIn.Version} stand-in: API {standIn.ApiUrl}, RTSP port {standIn.RtspPort}{(options.UseRelay ? " (relay)" : "")}"
    + (standIn.HlsPort is { } hls ? $", HLS http://127.0.0.1:{hls}/<path>/index.m3u8" : "") + "; no WebRTC/WHEP");
var stop = new TaskCompletionSource();
using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
