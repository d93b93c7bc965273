using System.Globalization;
using System.Text;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// The scale scenario's additions to the load client's standard config: the stand-in's ports and
/// N virtual cameras at 320x240@15. Everything else that limits media work (ffmpeg.max_concurrent,
/// [resources], timeouts, health-check interval) stays at the service's defaults: the issue is that
/// the defaults must carry 16 cameras.
/// </summary>
public static class ScaleConfig
{
    public const string Resolution = "320x240";
    public const int Fps = 15;

    public static string Toml(int apiPort, int rtspPort, int cameras)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            [mediamtx]
            host = "127.0.0.1"
            api_port = {apiPort}
            rtsp_port = {rtspPort}

            """);
        for (var i = 0; i < cameras; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""

                [[camera.virtual]]
                name = "Scale {i}"
                resolution = "{Resolution}"
                fps = {Fps}
                pattern = "testsrc2"

                """);
        }
        return sb.ToString();
    }

    public static string Device(int i) => $"virtual{i.ToString(CultureInfo.InvariantCulture)}";
}
