using Appliance.Events;
using Microsoft.Extensions.Logging;

namespace Appliance.Update;

/// <summary>The current (or last) installation, as get_update_status shows it.</summary>
public sealed record InstallSnapshot(InstallState State, string? Bundle, int? Percent, string? Message, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, string? Error);

/// <summary>
/// install_update's background work: one <c>rauc install</c> at a time. The RPC call only starts it
/// (<see cref="TryStart"/>) and answers at once; every progress line RAUC prints becomes an
/// <see cref="UpdateProgress"/> event on the hub, and the end one more (succeeded, or failed with
/// RAUC's error text). The status LED shows "update pending" while it runs. Stopping the service
/// stops waiting for the CLI (the RAUC daemon may still finish the installation on its own).
/// </summary>
public sealed class UpdateInstaller(RaucClient rauc, EventHub events, UpdateIndicatorState indicator, ILogger<UpdateInstaller> log, TimeProvider? time = null)
    : IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private InstallSnapshot _current = new(InstallState.Idle, null, null, null, null, null, null);

    public InstallSnapshot Current { get { lock (_gate) return _current; } }

    /// <summary>Starts installing <paramref name="bundle"/> in the background; false when one is already running.</summary>
    public bool TryStart(string bundle)
    {
        lock (_gate)
        {
            if (_current.State == InstallState.Installing || _stop.IsCancellationRequested) return false;
            _current = new InstallSnapshot(InstallState.Installing, bundle, 0, "starting", _time.GetUtcNow(), null, null);
            indicator.SetInstalling(true);
            _ = Task.Run(() => RunAsync(bundle)); // followed through Current and the hub's update_progress
        }
        log.LogWarning("OTA: installing {Bundle}", bundle);
        return true;
    }

    private async Task RunAsync(string bundle)
    {
        InstallState result;
        string? error = null;
        try
        {
            await rauc.InstallAsync(bundle, OnProgress, _stop.Token).ConfigureAwait(false);
            result = InstallState.Succeeded;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            (result, error) = (InstallState.Failed, "the service stopped while installing (the RAUC service may still complete the installation)");
        }
        catch (RaucException e)
        {
            (result, error) = (InstallState.Failed, e.Message);
        }
        catch (Exception e)
        {
            // Whatever it was, the state must not stay "installing" for ever: that would refuse every later install.
            log.LogError(e, "OTA: installing {Bundle} failed unexpectedly", bundle);
            (result, error) = (InstallState.Failed, e.Message);
        }

        UpdateProgress last;
        lock (_gate)
        {
            var c = _current;
            var percent = result == InstallState.Succeeded ? 100 : c.Percent ?? 0;
            var message = result == InstallState.Succeeded ? c.Message is { Length: > 0 } m && m != "starting" ? m : "installed" : "failed";
            _current = c with { State = result, Percent = percent, Message = message, FinishedAt = _time.GetUtcNow(), Error = error };
            last = new UpdateProgress(bundle, percent, message, result, error);
            indicator.SetInstalling(false);
        }
        events.Publish(last);
        if (result == InstallState.Succeeded) log.LogWarning("OTA: installed {Bundle}; the new slot boots at the next restart", bundle);
        else log.LogError("OTA: installing {Bundle} failed: {Error}", bundle, error);
    }

    private void OnProgress(RaucProgressLine p)
    {
        lock (_gate)
        {
            _current = _current with { Percent = p.Percent, Message = p.Message };
            // Published under the lock, so the final event can never overtake a progress event.
            events.Publish(new UpdateProgress(_current.Bundle!, p.Percent, p.Message, InstallState.Installing));
        }
    }

    public void Dispose() => _stop.Cancel();
}
