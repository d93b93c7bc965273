using Appliance.Events;

namespace Appliance.Update;

/// <summary>
/// Where an update stands, as one indicator (the status LED shows it). Two things set it: an installation running (install_update)
/// and the booted slot waiting for, or just given, its confirmation (the mark-good gate). This one
/// place combines them, so neither overwrites the other's pattern, and publishes the result on the hub
/// only when it changes (published under the lock: the hub sees the changes in order).
/// </summary>
public sealed class UpdateIndicatorState(EventHub events)
{
    private readonly Lock _gate = new();
    private bool _installing;
    private UpdateIndicator _slot;
    private UpdateIndicator _shown;

    public UpdateIndicator Current { get { lock (_gate) return _shown; } }

    public void SetInstalling(bool installing)
    {
        lock (_gate)
        {
            _installing = installing;
            PublishLocked();
        }
    }

    /// <summary>The gate's part: Pending while the new slot waits for confirmation, Confirmed for a while after.</summary>
    public void SetSlot(UpdateIndicator indicator)
    {
        lock (_gate)
        {
            _slot = indicator;
            PublishLocked();
        }
    }

    private void PublishLocked()
    {
        var (next, reason) = _installing ? (UpdateIndicator.Pending, "update being installed")
            : _slot switch
            {
                UpdateIndicator.Pending => (UpdateIndicator.Pending, "new slot waiting to be confirmed"),
                UpdateIndicator.Confirmed => (UpdateIndicator.Confirmed, "new slot confirmed"),
                _ => (UpdateIndicator.None, "no update in progress"),
            };
        if (next == _shown) return;
        _shown = next;
        events.Publish(new UpdateIndicatorChanged(next, reason));
    }
}
