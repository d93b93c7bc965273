using System.Globalization;
using System.Text;

namespace Appliance.LoadClient.Scenarios.Scale;

/// <summary>
/// The scale scenario's additions to the load client's standard config: the stand-in's ports and
/// N virtual cameras at 320x240@15. Everything else that limits media work (ffmpeg.max_concurrent,
/// [resources], timeouts, health-check interval) stays at the service's defaults: the issue is that
/// the defaults must carry 16 cameras. Only <c>--legacy-slots</c> raises ffmpeg.max_concurrent, for a
/// service that still counts recordings in it.
/// </summary>
public static class ScaleConfig
{
    public const string Resolution = "320x240";
    public const int Fps = 15;
    public const int LegacyMaxConcurrent = 64;

    public static string Toml(int apiPort, int rtspPort, int cameras, bool legacySlots)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            [mediamtx]
            host = "127.0.0.1"
            api_port = {apiPort}
            rtsp_port = {rtspPort}

            """);
        if (legacySlots)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""

                [ffmpeg]
                # --legacy-slots: this service still counts recordings in max_concurrent (default 4).
                max_concurrent = {LegacyMaxConcurrent}

                """);
        }
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
