namespace Appliance.Testing.MediaMtx;

/// <summary>MediaMTX's on-demand publisher states (path.go pathOnDemandState*).</summary>
public enum OnDemandPhase
{
    /// <summary>No command running.</summary>
    Initial,
    /// <summary>Command started, waiting (up to runOnDemandStartTimeout) for its publisher.</summary>
    WaitingReady,
    /// <summary>Publisher up and at least one reader.</summary>
    Ready,
    /// <summary>Publisher up, no readers: the command stops after runOnDemandCloseAfter.</summary>
    Closing,
}

/// <summary>A path's runOnDemand command as seen from outside, for tests.</summary>
public sealed record OnDemandStatus(OnDemandPhase Phase, int? ProcessId, int Launches, IReadOnlyList<string> OutputTail);
