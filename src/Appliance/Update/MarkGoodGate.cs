using Appliance.Configuration;
using Appliance.Events;
using Appliance.Health;
using Appliance.MediaMtx;
using Microsoft.Extensions.Logging;

namespace Appliance.Update;

/// <summary>What the gate decided about the booted slot.</summary>
public enum GateState
{
    /// <summary>update.enabled = false: the gate does nothing.</summary>
    Disabled,
    /// <summary>Asking RAUC which slot booted.</summary>
    Checking,
    /// <summary>RAUC could not be asked (missing, failing); nothing is marked.</summary>
    Unavailable,
    /// <summary>RAUC could not tell which slot booted (e.g. a network boot); nothing to confirm.</summary>
    NoBootedSlot,
    /// <summary>The booted slot's installation was confirmed before (or was never installed by RAUC).</summary>
    AlreadyConfirmed,
    /// <summary>Freshly installed: waiting for update.healthy_after seconds of continuous health.</summary>
    Pending,
    /// <summary>Marked good in this run.</summary>
    Confirmed,
    /// <summary>Not marked good within update.fallback_after: marked bad, rebooting into the previous slot.</summary>
    FallingBack,
}

/// <summary>What get_update_status shows of the gate.</summary>
public sealed record GateSnapshot(GateState State, bool PendingConfirmation, string? ConfirmedAt, TimeSpan HealthyFor, TimeSpan HealthyAfter, string? Error);

/// <summary>
/// The mark-good gate. After an OTA install the bootloader boots the new slot a limited number of
/// times; unless someone marks it good, it falls back to the old one. That someone is this gate, and
/// only once the new system has proven itself: at start it asks RAUC which slot booted and compares the
/// slot's bundle version and installed timestamp with what it last confirmed (<see cref="ConfirmedSlots"/>).
/// A fresh slot shows "update pending" on the status LED; once the service has been healthy without a
/// break for <c>update.healthy_after</c> seconds it runs <c>rauc status mark-good booted</c>, records
/// the installation, and shows "update confirmed" for <see cref="ConfirmedShownFor"/>.
///
/// Healthy = the API serves (websocket_server running), the config is valid (config not failed) and
/// MediaMTX answers (mediamtx_controller running), as the hub's health events say. Any unhealthy
/// moment restarts the clock; a slot that never stays healthy long enough is never marked good, and
/// the bootloader's fallback does the rest. A service that keeps running unhealthy would never reboot,
/// though, so the bootloader would never get its chance: if the slot is still not marked good
/// <c>update.fallback_after</c> seconds after start, the gate marks it bad (<c>rauc status mark-bad
/// booted</c>) and reboots (<see cref="DeviceReboot"/>) into the previous slot.
/// All timing runs on <see cref="TimeProvider"/> (tests use a fake clock).
/// </summary>
public sealed class MarkGoodGate : IDisposable
{
    public static readonly TimeSpan ConfirmedShownFor = TimeSpan.FromSeconds(60);
    // A failed mark-good (RAUC busy, D-Bus hiccup) is retried while the service stays healthy.
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly UpdateSection _settings;
    private readonly RaucClient _rauc;
    private readonly UpdateIndicatorState _indicator;
    private readonly ConfirmedSlots _confirmed;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private GateState _state;
    private RaucSlot? _slot;
    private string? _confirmedAt;
    private string? _error;
    private long? _healthySince; // TimeProvider timestamp; null while unhealthy
    private int _generation;     // bumped on every health change: a timer armed before it is stale
    private bool _confirming;
    private ITimer? _timer;
    private ITimer? _confirmedTimer;
    private ITimer? _deadline;
    private bool _deadlinePassed; // fallback_after passed while a mark-good was in flight
    private readonly DeviceReboot? _reboot;

    public MarkGoodGate(ConfigStore config, RaucClient rauc, HealthRegistry health, EventHub events, UpdateIndicatorState indicator, ConfirmedSlots confirmed,
        ILogger<MarkGoodGate> log, TimeProvider? time = null, DeviceReboot? reboot = null)
    {
        _reboot = reboot;
        _settings = config.Current.Update; // update.* needs a restart: the values this run started with
        _rauc = rauc;
        _indicator = indicator;
        _confirmed = confirmed;
        _log = log;
        _time = time ?? TimeProvider.System;
        _state = _settings.Enabled ? GateState.Checking : GateState.Disabled;
        // Every change from now on, and what is true already; the clock runs from the first healthy moment,
        // even while RAUC is still being asked.
        _subscription = events.On<HealthChanged>(nameof(MarkGoodGate), h => OnHealth(h.Components));
        OnHealth(health.Snapshot());
    }

    /// <summary>The mark-good call in flight or last made (tests await it); null if none was started.</summary>
    internal Task? Confirmation { get; private set; }

    /// <summary>The fallback (mark-bad, then the reboot request) once the deadline passed (tests await it).</summary>
    internal Task? Fallback { get; private set; }

    public TimeSpan HealthyAfter => TimeSpan.FromSeconds(_settings.HealthyAfter);

    public GateSnapshot Snapshot()
    {
        lock (_gate)
        {
            var healthyFor = _healthySince is { } since ? _time.GetElapsedTime(since) : TimeSpan.Zero;
            return new GateSnapshot(_state, _state == GateState.Pending, _confirmedAt, healthyFor, HealthyAfter, _error);
        }
    }

    /// <summary>
    /// Asks RAUC which slot booted and decides. Never throws for RAUC's sake: a missing or failing rauc
    /// is logged and shown in get_update_status, and then nothing is marked (the safe side).
    /// </summary>
    public async Task StartAsync()
    {
        if (!_settings.Enabled) return;
        RaucStatus status;
        try
        {
            status = await _rauc.GetStatusAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (RaucException e)
        {
            _log.LogError("OTA: cannot read RAUC's status, so the booted slot will not be marked good: {Error}", e.Message);
            lock (_gate) (_state, _error) = (GateState.Unavailable, e.Message);
            return;
        }
        if (status.Compatible is { } c && c != _settings.Compatible)
            _log.LogWarning("OTA: RAUC's compatible is \"{Rauc}\" but update.compatible is \"{Config}\"", c, _settings.Compatible);

        var booted = status.BootedSlot;
        if (booted is null)
        {
            _log.LogWarning("OTA: RAUC does not know which slot booted (booted = {Booted}); nothing to confirm", status.Booted ?? "null");
            lock (_gate) _state = GateState.NoBootedSlot;
            return;
        }
        if (booted.InstalledAt is null && booted.Version is null)
        {
            // Flashed at the factory, never installed by RAUC: there is no new installation to prove.
            _log.LogInformation("OTA: booted slot {Slot} was never installed by RAUC; nothing to confirm", booted.Name);
            lock (_gate) _state = GateState.AlreadyConfirmed;
            return;
        }
        if (_confirmed.IsConfirmed(booted))
        {
            var at = _confirmed.Get(booted.Name)?.ConfirmedAt;
            _log.LogInformation("OTA: booted slot {Slot} ({Version}, installed {Installed}) was confirmed at {At}", booted.Name, booted.Version, booted.InstalledAt, at);
            lock (_gate) (_state, _confirmedAt) = (GateState.AlreadyConfirmed, at);
            return;
        }

        _log.LogWarning("OTA: booted slot {Slot} is freshly installed ({Version}, installed {Installed}); it is marked good after {Seconds} s of continuous health",
            booted.Name, booted.Version ?? "no version", booted.InstalledAt ?? "unknown", _settings.HealthyAfter);
        lock (_gate)
        {
            (_state, _slot) = (GateState.Pending, booted);
            _indicator.SetSlot(UpdateIndicator.Pending);
            ArmLocked(Remaining());
            if (_settings.FallbackAfter > 0 && !_stop.IsCancellationRequested)
                _deadline = _time.CreateTimer(_ => OnDeadline(), null, TimeSpan.FromSeconds(_settings.FallbackAfter), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnDeadline()
    {
        lock (_gate)
        {
            if (_state != GateState.Pending || _stop.IsCancellationRequested) return;
            if (_confirming)
            {
                _deadlinePassed = true; // decided by that attempt: success confirms, failure falls back
                return;
            }
            _state = GateState.FallingBack;
            _error = $"not healthy for {_settings.HealthyAfter} s within {_settings.FallbackAfter} s of start: slot marked bad, rebooting into the previous one";
            _timer?.Dispose();
            _timer = null;
            Fallback = Task.Run(FallBackAsync);
        }
    }

    private async Task FallBackAsync()
    {
        _log.LogCritical("OTA: slot {Slot} was not healthy for {Healthy} s within {Deadline} s of start: marking it bad and rebooting into the previous slot",
            _slot?.Name, _settings.HealthyAfter, _settings.FallbackAfter);
        try
        {
            await _rauc.MarkBadBootedAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (RaucException e)
        {
            // Rebooting anyway: the slot was never marked good, so the bootloader's boot counter still falls back.
            _log.LogError("OTA: rauc mark-bad failed ({Error}); rebooting anyway", e.Message);
        }
        if (_reboot is null) return;
        try
        {
            _reboot.Request(TimeSpan.FromSeconds(3), "OTA fallback");
        }
        catch (FileNotFoundException e)
        {
            _log.LogError("OTA: cannot reboot into the previous slot: {Error}", e.Message);
            lock (_gate) _error = "slot marked bad, but the reboot failed: " + e.Message;
        }
    }

    /// <summary>The three components the gate counts as "healthy" (see the class comment).</summary>
    public static bool IsHealthy(IReadOnlyList<ComponentHealth> components)
    {
        ComponentState? State(string name) => components.FirstOrDefault(c => c.Name == name)?.State;
        return State(HealthComponents.ApiServer) == ComponentState.Running
            && State(ConfigStore.HealthComponent) != ComponentState.Failed
            && State(MediaMtxHealthMonitor.Component) == ComponentState.Running;
    }

    private void OnHealth(IReadOnlyList<ComponentHealth> components)
    {
        var healthy = IsHealthy(components);
        lock (_gate)
        {
            if (healthy == _healthySince.HasValue) return;
            _healthySince = healthy ? _time.GetTimestamp() : null;
            _generation++;
            if (_state == GateState.Pending)
                _log.LogInformation(healthy ? "OTA: healthy; the new slot is marked good in {Seconds} s unless health breaks"
                    : "OTA: not healthy any more; the clock towards mark-good restarts at the next healthy moment", _settings.HealthyAfter);
            ArmLocked(Remaining());
        }
    }

    // How long the service still has to stay healthy; called under the lock.
    private TimeSpan Remaining()
    {
        if (_healthySince is not { } since) return Timeout.InfiniteTimeSpan;
        var left = HealthyAfter - _time.GetElapsedTime(since);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    // (Re)arms the one timer towards mark-good; nothing while not pending, unhealthy, or already confirming.
    private void ArmLocked(TimeSpan due)
    {
        _timer?.Dispose();
        _timer = null;
        if (_state != GateState.Pending || _confirming || due == Timeout.InfiniteTimeSpan || _stop.IsCancellationRequested) return;
        if (due == TimeSpan.Zero)
        {
            BeginConfirmLocked();
            return;
        }
        var generation = _generation;
        _timer = _time.CreateTimer(_ => OnTimer(generation), null, due, Timeout.InfiniteTimeSpan);
    }

    private void OnTimer(int generation)
    {
        lock (_gate)
        {
            // A health change since this timer was armed re-armed (or cancelled) it: this one is stale.
            if (generation != _generation || _state != GateState.Pending || _confirming || _healthySince is null) return;
            var left = Remaining();
            if (left > TimeSpan.Zero) ArmLocked(left);
            else BeginConfirmLocked();
        }
    }

    private void BeginConfirmLocked()
    {
        _confirming = true;
        var slot = _slot!;
        Confirmation = Task.Run(() => ConfirmAsync(slot));
    }

    private async Task ConfirmAsync(RaucSlot slot)
    {
        try
        {
            var said = await _rauc.MarkGoodBootedAsync(_stop.Token).ConfigureAwait(false);
            _log.LogWarning("OTA: slot {Slot} ({Version}) marked good after {Seconds} s of continuous health: {Rauc}", slot.Name, slot.Version, _settings.HealthyAfter, said);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (RaucException e)
        {
            _log.LogError("OTA: rauc mark-good failed (retrying in {Retry} s while healthy): {Error}", RetryAfter.TotalSeconds, e.Message);
            lock (_gate)
            {
                (_confirming, _error) = (false, e.Message);
                if (_deadlinePassed) OnDeadline();
                else if (_healthySince is not null) ArmLocked(RetryAfter);
            }
            return;
        }

        var now = _time.GetUtcNow();
        string confirmedAt;
        try
        {
            confirmedAt = _confirmed.Record(slot, now).ConfirmedAt;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // RAUC has it marked good either way; the next start will just confirm it once more.
            _log.LogError("OTA: slot marked good, but {File} could not be written: {Error}", _confirmed.FilePath, ex.Message);
            confirmedAt = Media.MediaFileNames.Iso(now);
        }
        lock (_gate)
        {
            (_state, _confirmedAt, _error, _confirming) = (GateState.Confirmed, confirmedAt, null, false);
            _indicator.SetSlot(UpdateIndicator.Confirmed);
            if (!_stop.IsCancellationRequested)
                _confirmedTimer = _time.CreateTimer(_ => _indicator.SetSlot(UpdateIndicator.None), null, ConfirmedShownFor, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _subscription.Dispose();
        lock (_gate)
        {
            _timer?.Dispose();
            _confirmedTimer?.Dispose();
            _deadline?.Dispose();
        }
    }
}
