using System.Globalization;

namespace Appliance.Configuration;

/// <summary>Semantic checks after parsing. Reports every problem at once (key, value, why);
/// the loader adds the line or environment variable each key came from.</summary>
public static class ConfigValidator
{
    /// <summary>Secrets that ship in example files; production refuses them.</summary>
    public static readonly string[] SampleSecrets =
    [
        "change-me", "changeme", "CHANGE_ME_IN_PRODUCTION", "development-only-secret-do-not-use-in-production-0123456789",
    ];

    private static readonly string[] LogLevels = ["trace", "debug", "info", "warning", "error", "critical", "none"];
    private static readonly string[] Patterns = ["testsrc", "testsrc2", "smptebars", "smptehdbars", "rgbtestsrc", "mandelbrot", "color", "yuvtestsrc", "pal75bars", "pal100bars"];

    public static List<(string Key, string? Value, string Message)> Validate(ApplianceConfig c)
    {
        var v = new Checks();
        var s = c.Server;
        v.OneOf("server.environment", s.Environment, ["production", "development"]);
        v.NotEmpty("server.host", s.Host);
        v.Port("server.port", s.Port);
        v.That("server.websocket_path", s.WebsocketPath, s.WebsocketPath.StartsWith('/') && !s.WebsocketPath.Contains(' '), "must be an absolute URL path such as /ws");
        v.Range("server.max_connections", s.MaxConnections, 1, 100_000);
        v.Range("server.max_message_size", s.MaxMessageSize, 1024, 64 * 1024 * 1024);
        v.Range("server.ping_interval", s.PingInterval, 1, 3600);
        v.Range("server.ping_timeout", s.PingTimeout, 1, 3600);
        v.Range("server.send_queue_capacity", s.SendQueueCapacity, 8, 100_000);
        v.Range("server.notification_queue_capacity", s.NotificationQueueCapacity, 8, 100_000);
        v.Range("server.shutdown_timeout", s.ShutdownTimeout, 1, 300);
        v.Range("server.send_timeout", s.SendTimeout, 1, 3600);
        v.Range("server.max_batch", s.MaxBatch, 1, 1000);
        v.Range("server.auth_timeout", s.AuthTimeout, 1, 3600);
        v.Range("server.max_connections_per_address", s.MaxConnectionsPerAddress, 1, 100_000);
        v.Range("server.max_http_connections", s.MaxHttpConnections, 1, 100_000);
        if (s.TlsPort != 0)
        {
            v.Port("server.tls_port", s.TlsPort);
            v.That("server.tls_port", s.TlsPort.ToString(CultureInfo.InvariantCulture), s.TlsPort != s.Port, "must differ from server.port");
        }
        v.That("server.tls_key", s.TlsKey.Length == 0 ? "\"\"" : s.TlsKey, (s.TlsCertificate.Length == 0) == (s.TlsKey.Length == 0),
            "server.tls_certificate and server.tls_key are set together (both PEM paths) or not at all");
        v.That("server.plain_loopback_only", "true", !s.PlainLoopbackOnly || s.TlsPort != 0,
            "needs server.tls_port: with the plain port on loopback only and no TLS port, nothing on the network could connect");

        var sec = c.Security;
        if (s.Environment == "production")
        {
            if (string.IsNullOrWhiteSpace(sec.JwtSecret))
                v.Fail("security.jwt_secret", "\"\"", "is empty: production needs a secret of at least 32 characters (or APPLIANCE_SECURITY_JWT_SECRET)");
            else if (SampleSecrets.Contains(sec.JwtSecret, StringComparer.OrdinalIgnoreCase))
                v.Fail("security.jwt_secret", "(sample value)", "is the example value from the documentation: set a random secret for production");
            else if (sec.JwtSecret.Length < 32)
                v.Fail("security.jwt_secret", $"({sec.JwtSecret.Length} characters)", "is too short: HS256 needs at least 32 characters in production");
        }
        v.Range("security.jwt_expiry_hours", sec.JwtExpiryHours, 0.01, 24 * 365);
        v.NotEmpty("security.api_keys_file", sec.ApiKeysFile);
        v.Range("security.rate_limit_per_minute", sec.RateLimitPerMinute, 1, 1_000_000_000);
        v.Range("security.rate_limit_burst", sec.RateLimitBurst, 1, 1_000_000_000);
        v.Range("security.auth_failures_per_minute", sec.AuthFailuresPerMinute, 1, 10_000);
        v.Range("security.max_token_lifetime", sec.MaxTokenLifetime, 60, 10 * 365 * 86400.0);
        v.Range("security.session_lifetime", sec.SessionLifetime, 60, 86400);
        v.Range("security.max_sessions", sec.MaxSessions, 1, 4096);
        v.That("security.jwt_expiry_hours", sec.JwtExpiryHours.ToString(CultureInfo.InvariantCulture), sec.JwtExpiryHours * 3600 <= sec.MaxTokenLifetime,
            "is longer than security.max_token_lifetime: tokens minted with it would be refused");

        var m = c.Mediamtx;
        v.NotEmpty("mediamtx.host", m.Host);
        v.Port("mediamtx.api_port", m.ApiPort);
        v.Port("mediamtx.rtsp_port", m.RtspPort);
        v.Port("mediamtx.webrtc_port", m.WebrtcPort);
        v.Port("mediamtx.hls_port", m.HlsPort);
        v.Port("mediamtx.auth_hook_port", m.AuthHookPort);
        v.That("mediamtx.auth_hook_port", m.AuthHookPort.ToString(CultureInfo.InvariantCulture), m.AuthHookPort != s.Port, "must differ from server.port (the hook has a listener of its own)");
        v.That("mediamtx.api_password", m.ApiPassword.Length == 0 ? "\"\"" : "(set)", m.ApiUsername.Length > 0 || m.ApiPassword.Length == 0, "is set but mediamtx.api_username is empty");
        v.Range("mediamtx.request_timeout", m.RequestTimeout, 0.1, 120);
        v.Range("mediamtx.health_check_interval", m.HealthCheckInterval, 0.1, 3600);
        v.Range("mediamtx.stream_status_interval", m.StreamStatusInterval, 0.2, 3600);
        v.Range("mediamtx.health_failure_threshold", m.HealthFailureThreshold, 1, 1000);
        v.Range("mediamtx.health_circuit_breaker_timeout", m.HealthCircuitBreakerTimeout, 0.5, 3600);
        v.Range("mediamtx.health_max_backoff_interval", m.HealthMaxBackoffInterval, 0.1, 3600);
        v.Range("mediamtx.health_recovery_confirmation_threshold", m.HealthRecoveryConfirmationThreshold, 1, 100);
        v.Range("mediamtx.backoff_base_multiplier", m.BackoffBaseMultiplier, 1, 10);
        v.Range("mediamtx.backoff_jitter_range", m.BackoffJitterRange, 0, 1);
        v.Range("mediamtx.stream_readiness_timeout", m.StreamReadinessTimeout, 0.5, 300);
        v.Range("mediamtx.media_token_lifetime", m.MediaTokenLifetime, 60, 3600);

        var cam = c.Camera;
        v.That("camera.device_range", "[" + string.Join(", ", cam.DeviceRange) + "]",
            cam.DeviceRange.Count == 2 && cam.DeviceRange[0] >= 0 && cam.DeviceRange[0] <= cam.DeviceRange[1] && cam.DeviceRange[1] < 256,
            "must be [first, last] with 0 <= first <= last <= 255");
        v.Range("camera.poll_interval", cam.PollInterval, 0.01, 60);
        v.Range("camera.detection_timeout", cam.DetectionTimeout, 0.1, 60);
        v.Range("camera.hotplug_debounce_ms", cam.HotplugDebounceMs, 0, 5000);
        if (cam.DefaultResolution.Length > 0) v.Resolution("camera.default_resolution", cam.DefaultResolution);
        v.Range("camera.default_fps", cam.DefaultFps, 0, 240);
        for (var i = 0; i < cam.Virtual.Count; i++)
        {
            var vc = cam.Virtual[i];
            var key = $"camera.virtual[{i}]";
            v.NotEmpty(key + ".name", vc.Name);
            v.Resolution(key + ".resolution", vc.Resolution);
            v.Range(key + ".fps", vc.Fps, 1, 120);
            v.OneOf(key + ".pattern", vc.Pattern, Patterns);
        }

        var f = c.Ffmpeg;
        v.NotEmpty("ffmpeg.path", f.Path);
        v.NotEmpty("ffmpeg.ffprobe_path", f.FfprobePath);
        v.Range("ffmpeg.max_concurrent", f.MaxConcurrent, 0, 64);
        v.Range("ffmpeg.snapshot_process_creation_timeout", f.SnapshotProcessCreationTimeout, 0.1, 120);
        v.Range("ffmpeg.snapshot_execution_timeout", f.SnapshotExecutionTimeout, 0.1, 300);
        v.Range("ffmpeg.recording_process_creation_timeout", f.RecordingProcessCreationTimeout, 0.1, 120);
        v.Range("ffmpeg.recording_execution_timeout", f.RecordingExecutionTimeout, 0.1, 300);
        v.Range("ffmpeg.process_termination_timeout", f.ProcessTerminationTimeout, 0.1, 60);
        v.Range("ffmpeg.process_kill_timeout", f.ProcessKillTimeout, 0.1, 60);
        v.Range("ffmpeg.stall_timeout", f.StallTimeout, 2, 600);
        v.NotEmpty("ffmpeg.video_codec", f.VideoCodec);
        v.Range("ffmpeg.gop", f.Gop, 0, 600);

        var res = c.Resources;
        v.Range("resources.max_cpu_pressure", res.MaxCpuPressure, 1, 100);
        v.Range("resources.transcode_max_cpu_percent", res.TranscodeMaxCpuPercent, 1, 100);
        v.Range("resources.min_memory_mb", res.MinMemoryMb, 0, 1_000_000);

        var r = c.Recording;
        v.NotEmpty("recording.path", r.Path);
        v.OneOf("recording.format", r.Format, ["mp4", "mkv", "ts"]);
        v.Range("recording.segment_duration", r.SegmentDuration, 1, 86400);
        v.Range("recording.max_duration", r.MaxDuration, 1, 7 * 86400);
        v.Range("recording.progress_interval", r.ProgressInterval, 0.1, 3600);
        v.Range("recording.fsync_interval", r.FsyncInterval, 0, 3600);

        var sn = c.Snapshots;
        v.NotEmpty("snapshots.path", sn.Path);
        v.OneOf("snapshots.format", sn.Format, ["jpg", "png"]);
        v.Range("snapshots.quality", sn.Quality, 1, 100);
        v.Range("snapshots.max_width", sn.MaxWidth, 0, 16384);
        v.Range("snapshots.max_height", sn.MaxHeight, 0, 16384);

        var st = c.Storage;
        v.NotEmpty("storage.state_dir", st.StateDir);
        v.Range("storage.warn_percent", st.WarnPercent, 1, 100);
        v.Range("storage.block_percent", st.BlockPercent, 1, 100);
        v.That("storage.block_percent", st.BlockPercent.ToString(CultureInfo.InvariantCulture), st.BlockPercent >= st.WarnPercent,
            $"must not be below storage.warn_percent ({st.WarnPercent})");
        v.OneOf("storage.retention_policy", st.RetentionPolicy, ["age", "size", "manual"]);
        v.Range("storage.max_age_days", st.MaxAgeDays, 0.01, 36500);
        v.Range("storage.max_size_gb", st.MaxSizeGb, 0.001, 1_000_000);
        v.Range("storage.min_free_mb", st.MinFreeMb, 0, 10_000_000);
        v.Range("storage.cleanup_interval", st.CleanupInterval, 1, 7 * 86400);

        var g = c.Gpio;
        v.OneOf("gpio.board", g.Board, ["rpi4", "rpi5", "generic-arm64"]);
        v.Range("gpio.led_blink_interval", g.LedBlinkInterval, 0.05, 10);
        v.Range("gpio.activity_flash_ms", g.ActivityFlashMs, 10, 5000);
        v.Range("gpio.button_debounce_ms", g.ButtonDebounceMs, 1, 1000);
        v.Range("gpio.button_long_press_ms", g.ButtonLongPressMs, 200, 30000);

        v.OneOf("logging.level", c.Logging.Level, LogLevels);
        v.OneOf("logging.format", c.Logging.Format, ["systemd", "console"]);

        v.NotEmpty("update.rauc_path", c.Update.RaucPath);
        // Not resolved against the config file like the data paths: a bare name is looked up in PATH when run.
        v.That("update.rauc_path", $"\"{c.Update.RaucPath}\"", !c.Update.RaucPath.Contains('/') || c.Update.RaucPath.StartsWith('/'),
            "must be a command name (looked up in PATH) or an absolute path");
        v.Range("update.healthy_after", c.Update.HealthyAfter, 1, 86400);
        v.Range("update.fallback_after", c.Update.FallbackAfter, 0, 86400);
        v.That("update.fallback_after", c.Update.FallbackAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
            c.Update.FallbackAfter == 0 || c.Update.FallbackAfter > c.Update.HealthyAfter, "must be 0 (never) or longer than update.healthy_after");
        v.NotEmpty("update.reboot_command", c.Update.RebootCommand);
        var reboot = c.Update.RebootCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        v.That("update.reboot_command", $"\"{c.Update.RebootCommand}\"", !reboot.Contains('/') || reboot.StartsWith('/'),
            "must start with a bare command name (looked up in PATH) or an absolute path");
        v.NotEmpty("update.compatible", c.Update.Compatible);
        v.That("update.compatible", $"\"{c.Update.Compatible}\"", !c.Update.Compatible.Any(char.IsControl), "must not contain control characters");
        return v.Problems;
    }

    private sealed class Checks
    {
        public readonly List<(string, string?, string)> Problems = [];

        public void Fail(string key, string? value, string message) => Problems.Add((key, value, message));

        public void That(string key, string value, bool ok, string message)
        {
            if (!ok) Fail(key, value, message);
        }

        public void Range(string key, double value, double min, double max)
        {
            if (double.IsNaN(value) || value < min || value > max)
                Fail(key, value.ToString(CultureInfo.InvariantCulture), $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
        }

        public void Port(string key, int value) => Range(key, value, 1, 65535);

        public void NotEmpty(string key, string value)
        {
            if (string.IsNullOrWhiteSpace(value)) Fail(key, "\"\"", "must not be empty");
        }

        public void OneOf(string key, string value, string[] allowed)
        {
            if (!allowed.Contains(value, StringComparer.Ordinal))
                Fail(key, $"\"{value}\"", "must be one of " + string.Join(", ", allowed.Select(a => $"\"{a}\"")));
        }

        public void Resolution(string key, string value)
        {
            if (!ResolutionText.TryParse(value, out _, out _))
                Fail(key, $"\"{value}\"", "must look like 1280x720 (width and height 16..8192)");
        }
    }
}

public static class ResolutionText
{
    public static bool TryParse(string text, out int width, out int height)
    {
        width = height = 0;
        var x = text.IndexOf('x');
        return x > 0
            && int.TryParse(text.AsSpan(0, x), NumberStyles.None, CultureInfo.InvariantCulture, out width)
            && int.TryParse(text.AsSpan(x + 1), NumberStyles.None, CultureInfo.InvariantCulture, out height)
            && width is >= 16 and <= 8192 && height is >= 16 and <= 8192;
    }
}
