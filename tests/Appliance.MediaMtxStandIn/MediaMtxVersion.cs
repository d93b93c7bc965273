using System.Globalization;

namespace Appliance.Testing.MediaMtx;

/// <summary>
/// A MediaMTX release ("1.15.1" or "v1.15.1") and the API differences the stand-in reproduces.
/// The thresholds are MediaMTX facts as far as known; each says where it came from.
/// </summary>
public sealed record MediaMtxVersion(int Major, int Minor, int Patch) : IComparable<MediaMtxVersion>
{
    public static MediaMtxVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.TrimStart('v').Split('.');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new FormatException($"'{text}' is not a MediaMTX version like 1.15.5");
        return new(int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>GET /v3/info exists (before: 404 from the router).</summary>
    public bool HasInfoEndpoint => this >= new MediaMtxVersion(1, 15, 2);

    /// <summary>Bodies carry "status": errors {"status":"error","error":..}, successes {"status":"ok"}
    /// (before: {"error":..} and an empty 200).</summary>
    public bool HasStatusInBodies => this >= new MediaMtxVersion(1, 15, 5);

    /// <summary>Paths have available/availableTime/online/onlineTime/inboundBytes/outboundBytes
    /// beside the deprecated ready/readyTime/bytesReceived/bytesSent.</summary>
    public bool HasAvailableAndOnline => this >= new MediaMtxVersion(1, 16, 0);

    /// <summary>Paths have tracks2 (codec and codec properties) beside the deprecated tracks.</summary>
    public bool HasTracks2 => this >= new MediaMtxVersion(1, 17, 0);

    /// <summary>Paths have inboundFramesInError. Present in the 1.20.1 openapi.yaml; the release
    /// that added it is not known here, so only 1.20 and later send it.</summary>
    public bool HasInboundFramesInError => this >= new MediaMtxVersion(1, 20, 0);

    /// <summary>POST config/paths/replace creates a missing path instead of answering 404
    /// (MediaMTX pull request 3362, "make replace paths idempotent", merged May 2024: v1.8.2).</summary>
    public bool ReplaceCreatesMissingPath => this >= new MediaMtxVersion(1, 8, 2);

    public int CompareTo(MediaMtxVersion? other) =>
        other is null ? 1 : (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));

    public static bool operator >=(MediaMtxVersion left, MediaMtxVersion right) => left.CompareTo(right) >= 0;

    public static bool operator <=(MediaMtxVersion left, MediaMtxVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >(MediaMtxVersion left, MediaMtxVersion right) => left.CompareTo(right) > 0;

    public static bool operator <(MediaMtxVersion left, MediaMtxVersion right) => left.CompareTo(right) < 0;

    /// <summary>As MediaMTX reports itself in /v3/info: with a leading "v".</summary>
    public override string ToString() => $"v{Major}.{Minor}.{Patch}";
}
