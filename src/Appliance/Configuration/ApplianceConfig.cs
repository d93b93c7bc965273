namespace Appliance.Configuration;

// The whole product's configuration, one class per TOML section. Property names map to
// snake_case keys through the Tomlyn source generator (see ConfigTomlContext).
// Every property has a default, so a file only needs the keys it changes; the defaults
// follow the original camera service's config (ports 8002/9997/8554/8889/8888, health and
// circuit-breaker thresholds, FFmpeg timeouts, 80 %/90 % storage thresholds).
// Durations are seconds unless the key name says otherwise (_ms).

public sealed class ApplianceConfig
{
    public ServerSection Server { get; set; } = new();
    public SecuritySection Security { get; set; } = new();
    public MediaMtxSection Mediamtx { get; set; } = new();
    public CameraSection Camera { get; set; } = new();
    public FfmpegSection Ffmpeg { get; set; } = new();
    public ResourcesSection Resources { get; set; } = new();
    public RecordingSection Recording { get; set; } = new();
    public SnapshotsSection Snapshots { get; set; } = new();
    public StorageSection Storage { get; set; } = new();
    public GpioSection Gpio { get; set; } = new();
    public LoggingSection Logging { get; set; } = new();
    public UpdateSection Update { get; set; } = new();
}

public sealed class ServerSection
{
    /// <summary>"production" refuses to start with an empty or sample JWT secret; "development" allows it.</summary>
    public string Environment { get; set; } = "production";
    public string Host { get; set; } = "0.0.0.0";
    public int Port { get; set; } = 8002;
    public string WebsocketPath { get; set; } = "/ws";
    public int MaxConnections { get; set; } = 100;
    public int MaxMessageSize { get; set; } = 1024 * 1024;
    public double PingInterval { get; set; } = 30;
    public double PingTimeout { get; set; } = 10;
    /// <summary>Replies queued for one client; while they are all waiting, no new request is read from it (backpressure).</summary>
    public int SendQueueCapacity { get; set; } = 256;
    /// <summary>Notifications waiting for a client; past this it loses notifications (counted), nobody else waits.</summary>
    public int NotificationQueueCapacity { get; set; } = 1024;
    /// <summary>A client that has not taken a frame for this long (it stopped reading) is cut off with close 1008.</summary>
    public double SendTimeout { get; set; } = 30;
    /// <summary>Elements allowed in one JSON-RPC batch; a larger batch gets one -32600 error.</summary>
    public int MaxBatch { get; set; } = 32;
    /// <summary>A socket that has not authenticated within this many seconds is closed with 1008.</summary>
    public double AuthTimeout { get; set; } = 10;
    /// <summary>WebSocket connections one client address may hold at once.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 20;
    /// <summary>Apply max_connections_per_address to loopback clients too (off: local tools are trusted).</summary>
    public bool LimitLoopbackPerAddress { get; set; } = false;
    /// <summary>Plain HTTP connections (downloads, health, upgrades in progress) at once; upgraded
    /// WebSocket connections are counted by max_connections instead.</summary>
    public int MaxHttpConnections { get; set; } = 64;
    public double ShutdownTimeout { get; set; } = 10;
    /// <summary>Host put into stream URLs; empty = the host the client connected to.</summary>
    public string PublicHost { get; set; } = "";
    /// <summary>HTTPS/WSS port serving the same endpoints as <see cref="Port"/>; 0 = no TLS listener
    /// (the default, so tests and development need no certificate; the image's config sets 8443).</summary>
    public int TlsPort { get; set; } = 0;
    /// <summary>PEM certificate (chain) to serve; empty = the device certificate made on first start.</summary>
    public string TlsCertificate { get; set; } = "";
    /// <summary>PEM private key for <see cref="TlsCertificate"/> (set both or neither).</summary>
    public string TlsKey { get; set; } = "";
    /// <summary>Where the device certificate is made and kept; empty = &lt;storage.state_dir&gt;/tls.</summary>
    public string TlsDirectory { get; set; } = "";
    /// <summary>Bind the plain (ws://, http://) port to 127.0.0.1 only, so the network sees only TLS.</summary>
    public bool PlainLoopbackOnly { get; set; } = false;
}

public sealed class SecuritySection
{
    public string JwtSecret { get; set; } = "";
    public double JwtExpiryHours { get; set; } = 24;
    public string ApiKeysFile { get; set; } = "/var/lib/appliance/state/api-keys.json";
    /// <summary>Sustained requests per minute per connection (token bucket refill).</summary>
    public int RateLimitPerMinute { get; set; } = 600;
    /// <summary>Requests a connection may send at once before the sustained rate applies.</summary>
    public int RateLimitBurst { get; set; } = 100;
    /// <summary>Failed credentials one client address may present per minute (authenticate, auth_token,
    /// upgrade headers, downloads, the media-auth hook); past that it is refused until the minute ends.</summary>
    public int AuthFailuresPerMinute { get; set; } = 10;
    /// <summary>Longest JWT lifetime (exp - iat) accepted, in seconds; longer tokens are refused.</summary>
    public double MaxTokenLifetime { get; set; } = 30 * 86400;
    /// <summary>Seconds a console session (POST /api/session) lives, never longer than the credential it
    /// was made from (a JWT's exp). Applies to sessions made after a change.</summary>
    public int SessionLifetime { get; set; } = 3600;
    /// <summary>Console sessions held at once; a login when full ends the oldest session.</summary>
    public int MaxSessions { get; set; } = 64;
}

public sealed class MediaMtxSection
{
    public string Host { get; set; } = "127.0.0.1";
    public int ApiPort { get; set; } = 9997;
    public int RtspPort { get; set; } = 8554;
    public int WebrtcPort { get; set; } = 8889;
    public int HlsPort { get; set; } = 8888;
    /// <summary>MediaMTX serves HLS and WebRTC over HTTPS (hlsEncryption/webrtcEncryption in mediamtx.yml):
    /// the stream URLs then say https, so a page served over TLS can play them without mixed content.</summary>
    public bool MediaTls { get; set; } = false;
    /// <summary>MediaMTX API credential; empty = a random one generated at each start (MediaMTX asks
    /// the service's auth hook, so both sides always agree).</summary>
    public string ApiUsername { get; set; } = "";
    public string ApiPassword { get; set; } = "";
    /// <summary>Loopback-only port of the hook MediaMTX asks (authMethod: http) before every read,
    /// publish and API request. Its own listener, so a flood on server.port cannot starve it.</summary>
    public int AuthHookPort { get; set; } = 9996;
    /// <summary>true = anyone on the network may read/play streams without a credential (publish and
    /// the API still need the service's own credentials).</summary>
    public bool AnonymousRead { get; set; } = false;
    public double RequestTimeout { get; set; } = 5;
    public double HealthCheckInterval { get; set; } = 30;
    public int HealthFailureThreshold { get; set; } = 10;
    public double HealthCircuitBreakerTimeout { get; set; } = 60;
    public double HealthMaxBackoffInterval { get; set; } = 120;
    public int HealthRecoveryConfirmationThreshold { get; set; } = 3;
    public double BackoffBaseMultiplier { get; set; } = 2;
    public double BackoffJitterRange { get; set; } = 0.2;
    public double StreamReadinessTimeout { get; set; } = 15;
    /// <summary>Seconds between path listings that follow stream readiness and readers (stream_status_update).</summary>
    public double StreamStatusInterval { get; set; } = 2;
    /// <summary>Seconds a media token (get_stream_token: read-only, one path) stays valid.</summary>
    public int MediaTokenLifetime { get; set; } = 600;
}

public sealed class CameraSection
{
    public bool DiscoveryEnabled { get; set; } = true;
    public List<int> DeviceRange { get; set; } = [0, 9];
    public double PollInterval { get; set; } = 0.1;
    public double DetectionTimeout { get; set; } = 2;
    public int HotplugDebounceMs { get; set; } = 200;
    public bool EnableCapabilityDetection { get; set; } = true;
    public bool AutoStartStreams { get; set; } = true;
    /// <summary>Preferred capture resolution ("WIDTHxHEIGHT"); empty = the best the camera offers.</summary>
    public string DefaultResolution { get; set; } = "";
    /// <summary>Preferred frame rate; 0 = the best the camera offers at that resolution.</summary>
    public int DefaultFps { get; set; } = 0;
    public List<VirtualCameraConfig> Virtual { get; set; } = [];
}

public sealed class VirtualCameraConfig
{
    public string Name { get; set; } = "Virtual Camera";
    public string Resolution { get; set; } = "1280x720";
    public int Fps { get; set; } = 30;
    /// <summary>FFmpeg lavfi test source: testsrc, testsrc2, smptebars, smptehdbars, rgbtestsrc, mandelbrot, color.</summary>
    public string Pattern { get; set; } = "testsrc2";
}

public sealed class FfmpegSection
{
    public string Path { get; set; } = "ffmpeg";
    public string FfprobePath { get; set; } = "ffprobe";
    /// <summary>Short FFmpeg jobs (snapshots, still images, probes) at once; more queue up to
    /// snapshot_execution_timeout. Recordings are not counted here (see [resources]).</summary>
    public int MaxConcurrent { get; set; } = 4;
    public double SnapshotProcessCreationTimeout { get; set; } = 5;
    public double SnapshotExecutionTimeout { get; set; } = 8;
    public double RecordingProcessCreationTimeout { get; set; } = 10;
    public double RecordingExecutionTimeout { get; set; } = 15;
    /// <summary>Wait after asking FFmpeg to quit ('q' / SIGINT) before SIGTERM.</summary>
    public double ProcessTerminationTimeout { get; set; } = 3;
    /// <summary>Wait after SIGTERM before SIGKILL.</summary>
    public double ProcessKillTimeout { get; set; } = 2;
    /// <summary>A long-running FFmpeg (a recorder) whose progress does not advance for this long is
    /// killed and its recording reported FAILED (recorder_stalled). FFmpeg's own -timeout cannot fire
    /// while FFmpeg itself is stopped or wedged.</summary>
    public double StallTimeout { get; set; } = 10;
    public string VideoCodec { get; set; } = "libx264";
    public string Profile { get; set; } = "baseline";
    public string Level { get; set; } = "3.1";
    public string PixelFormat { get; set; } = "yuv420p";
    public string Preset { get; set; } = "ultrafast";
    public string Bitrate { get; set; } = "2M";
    /// <summary>Keyframe interval in frames of our own publishers (short GOP = fast snapshots).</summary>
    public int Gop { get; set; } = 15;
}

/// <summary>What a new recording may take from the box (Resources/ResourceGuard): recordings are not
/// counted, they are admitted while the box has room.</summary>
public sealed class ResourcesSection
{
    /// <summary>No new recording while runnable tasks waited for a CPU more than this share (percent) of
    /// the last 10 s (the kernel's PSI, /proc/pressure/cpu "some avg10"): the box is oversubscribed and
    /// a new recorder would fall behind. 100 = never refuse for CPU.</summary>
    public double MaxCpuPressure { get; set; } = 90;
    /// <summary>No new transcoding recording while busier than this: it costs up to a core and would
    /// starve the cameras already recording.</summary>
    public double TranscodeMaxCpuPercent { get; set; } = 50;
    /// <summary>No new recording while the kernel has less memory than this available (MemAvailable, MiB).</summary>
    public long MinMemoryMb { get; set; } = 64;
}

public sealed class RecordingSection
{
    public string Path { get; set; } = "/var/lib/appliance/recordings";
    public string Format { get; set; } = "mp4";
    public double SegmentDuration { get; set; } = 3600;
    public double MaxDuration { get; set; } = 86400;
    public double ProgressInterval { get; set; } = 2;
    /// <summary>Seconds between fsyncs of the segment being written (0 = leave it to the kernel). A power
    /// cut loses the page cache, so this bounds what it can take.</summary>
    public double FsyncInterval { get; set; } = 5;
    /// <summary>A recording that fails (recorder crashed or stalled, camera or media server lost) goes on in
    /// a new segment once it can, instead of ending.</summary>
    public bool RestartOnFailure { get; set; } = false;
}

public sealed class SnapshotsSection
{
    public string Path { get; set; } = "/var/lib/appliance/snapshots";
    public string Format { get; set; } = "jpg";
    public int Quality { get; set; } = 90;
    /// <summary>Resize bound; 0 = keep the source size.</summary>
    public int MaxWidth { get; set; } = 0;
    public int MaxHeight { get; set; } = 0;
}

public sealed class StorageSection
{
    public string StateDir { get; set; } = "/var/lib/appliance/state";
    public int WarnPercent { get; set; } = 80;
    public int BlockPercent { get; set; } = 90;
    public bool RetentionEnabled { get; set; } = false;
    /// <summary>"age", "size" or "manual".</summary>
    public string RetentionPolicy { get; set; } = "age";
    public double MaxAgeDays { get; set; } = 30;
    public double MaxSizeGb { get; set; } = 10;
    public double MinFreeMb { get; set; } = 512;
    public double CleanupInterval { get; set; } = 3600;
}

public sealed class GpioSection
{
    public bool Enabled { get; set; } = false;
    /// <summary>Pin map under board/&lt;board&gt;/: rpi4, rpi5, generic-arm64.</summary>
    public string Board { get; set; } = "generic-arm64";
    public double LedBlinkInterval { get; set; } = 0.5;
    public int ActivityFlashMs { get; set; } = 150;
    public int ButtonDebounceMs { get; set; } = 50;
    public int ButtonLongPressMs { get; set; } = 1500;
    /// <summary>Cameras a short press snapshots; empty = every connected camera.</summary>
    public List<string> SnapshotCameras { get; set; } = [];
}

public sealed class LoggingSection
{
    /// <summary>trace, debug, info, warning, error, critical.</summary>
    public string Level { get; set; } = "info";
    /// <summary>"systemd" (journal priorities, no timestamps) or "console".</summary>
    public string Format { get; set; } = "systemd";
}

public sealed class UpdateSection
{
    public bool Enabled { get; set; } = false;
    public string RaucPath { get; set; } = "rauc";
    /// <summary>Seconds a freshly installed slot must stay healthy before it is marked good.</summary>
    public double HealthyAfter { get; set; } = 120;
    /// <summary>Seconds after start within which a freshly installed slot must have been marked good; past
    /// that it is marked bad and the device reboots into the previous slot. 0 = never (the bootloader's
    /// boot counter and the watchdog are then the only way back).</summary>
    public double FallbackAfter { get; set; } = 900;
    public string Compatible { get; set; } = "camera-appliance";
    /// <summary>What the reboot method runs (after an update, or for remote help): a program and its
    /// arguments separated by spaces. systemctl asks logind, which asks polkit (rootfs-overlay rule).</summary>
    public string RebootCommand { get; set; } = "systemctl reboot";
}
