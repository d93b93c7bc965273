using System.Globalization;
using System.Text;
using Appliance.Storage;

namespace Appliance.Security;

/// <summary>
/// "Now" for credential checks on a box that may have no real-time clock. Until NTP answers, such a
/// box boots with a clock in the past (1970, or the date systemd was built), where every token
/// would look "issued in the future". The rule: the clock is trusted when it reads at least the
/// floor — the newest of the firmware's release epoch and the last trusted time this device saw
/// (kept in the state directory, refreshed at most once a day). Below the floor, the floor stands
/// in for now: tokens that had expired by then stay refused, while not-before and issued-at
/// checks are suspended (nothing can be known about them) until the clock is set. API keys carry
/// no time and always work.
/// </summary>
public sealed class TrustedClock
{
    /// <summary>No real time is earlier than this firmware's release.</summary>
    public static readonly DateTimeOffset FirmwareEpoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan SaveEvery = TimeSpan.FromDays(1);
    private readonly TimeProvider _time;
    private readonly string? _stateFile;
    private readonly Lock _gate = new();
    private DateTimeOffset _floor;
    private DateTimeOffset _saved;

    public TrustedClock(TimeProvider? time = null, string? stateFile = null)
    {
        _time = time ?? TimeProvider.System;
        _stateFile = stateFile;
        _saved = Load(stateFile) ?? DateTimeOffset.MinValue;
        _floor = _saved > FirmwareEpoch ? _saved : FirmwareEpoch;
    }

    public DateTimeOffset Floor { get { lock (_gate) return _floor; } }

    /// <summary>The time to check credentials against, and whether the system clock can be believed.</summary>
    public (DateTimeOffset Now, bool Trusted) Read()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (now < _floor) return (_floor, false);
            if (now - _saved >= SaveEvery) Save(now);
            return (now, true);
        }
    }

    private void Save(DateTimeOffset now)
    {
        _saved = now;
        _floor = now;
        if (_stateFile is null) return;
        try { AtomicFile.Write(_stateFile, Encoding.ASCII.GetBytes(now.ToString("O", CultureInfo.InvariantCulture) + "\n"), UnixFileMode.UserRead | UnixFileMode.UserWrite); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { /* a read-only state dir only costs the floor its freshness */ }
    }

    private static DateTimeOffset? Load(string? file)
    {
        try
        {
            return file is not null && File.Exists(file)
                && DateTimeOffset.TryParse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
