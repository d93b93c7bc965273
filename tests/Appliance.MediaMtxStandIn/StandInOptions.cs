namespace Appliance.Testing.MediaMtx;

/// <summary>How to start a <see cref="MediaMtxStandIn"/>. Defaults match a stock MediaMTX
/// except where a stock value would make tests slow (noted on each).</summary>
public sealed record StandInOptions
{
    /// <summary>The MediaMTX release to imitate: "1.5.0", "1.15.1", "1.15.5", "1.16.0", "1.17.0", "1.20.1"...</summary>
    public string ApiVersion { get; init; } = "1.20.1";

    /// <summary>Said after the version in /v3/info ("v1.20.1 (LABEL)"): the service shows that string in
    /// its health details and the console, so a person running the development chain sees that the
    /// media server is this stand-in and not MediaMTX. Null (tests): exactly MediaMTX's answer.</summary>
    public string? Label { get; init; }

    /// <summary>API port on 127.0.0.1; 0 picks a free one (kept across restarts).</summary>
    public int ApiPort { get; init; }

    /// <summary>RTSP port: RTSP_PORT for runOnDemand commands and the relay's port; 0 picks a free one.</summary>
    public int RtspPort { get; init; } = 8554;

    /// <summary>When set (with <see cref="Password"/>), every API request needs HTTP Basic auth,
    /// as with an authInternalUsers entry holding the "api" action.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>When set, MediaMTX's authMethod: http with this authHTTPAddress: every API request,
    /// and every RTSP read (DESCRIBE) and publish (ANNOUNCE) on the relay, is allowed only if a POST
    /// of MediaMTX's JSON body to this URL answers 2xx. Takes the place of <see cref="Username"/>.</summary>
    public string? AuthHttpAddress { get; init; }

    /// <summary>MediaMTX pauses 2 s before answering a request with wrong credentials (against
    /// brute force). Requests with no credentials are answered at once, as there.</summary>
    public TimeSpan WrongCredentialsPause { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Start tests/media/rtsp-relay.py (GStreamer) as the RTSP side: publishers and
    /// readers on rtsp://127.0.0.1:RtspPort/PATH drive readiness, readers, bytes and runOnDemand.</summary>
    public bool UseRelay { get; init; }

    /// <summary>How long the relay may take to start listening (Python importing GStreamer). Under
    /// emulation (the VM tests' TCG guest on a busy host) that alone can take tens of seconds.</summary>
    public TimeSpan RelayStartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Path configurations present at start and after each restart, as a mediamtx.yml
    /// "paths:" section would give them: name to PathConf JSON (e.g. "{}" or "{\"record\":true}").</summary>
    public IReadOnlyDictionary<string, string> InitialPaths { get; init; } = new Dictionary<string, string>();

    /// <summary>Pause before restarting a runOnDemand command that exited (runOnDemandRestart).
    /// MediaMTX waits 5 s.</summary>
    public TimeSpan CommandRestartPause { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After SIGINT to a command's process group, how long to wait before SIGKILL.
    /// MediaMTX waits for ever; a bounded wait keeps a stuck child from hanging a test.</summary>
    public TimeSpan CommandStopGrace { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>With the relay: MediaMTX's HLS server on 127.0.0.1 at this port (MediaMTX's default is
    /// 8888; 0 picks a free one). Null (the default): no HLS server, so parallel tests never collide.</summary>
    public int? HlsPort { get; init; }

    /// <summary>An HLS muxer (its FFmpeg) is stopped after this long without requests (hlsMuxerCloseAfter; MediaMTX: 60 s).</summary>
    public TimeSpan HlsMuxerCloseAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the first playlist request waits for the muxer's first segment (the
    /// runOnDemand publisher starting included) before answering 404 "no stream is available".</summary>
    public TimeSpan HlsStartTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The FFmpeg the HLS muxers run.</summary>
    public string FfmpegPath { get; init; } = "ffmpeg";
}
